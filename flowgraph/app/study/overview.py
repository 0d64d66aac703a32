"""The page of a study (out/report.html), as a Report the views render: the sweep in
figures, the summary table, a histogram per figure, a tornado chart of one figure (each
parameter's effect: the figure's mean at the parameter's low end against its high end) and
the scenario table. Histograms are binned here, so the page does not grow with the runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ModelError
from ...model.report import Cards, Chart, Report, Table, Text
from ...model.schema import suggestion

#: histograms drawn (the first kept figures); failed runs listed
MAX_HISTOGRAMS, MAX_FAILED, BINS = 12, 50, 40
#: a drawn input's low and high ends: runs below / above these percentiles of its draws
TAIL = 10


def study_report(study, target: str | None = None) -> Report:
    m = study.manifest
    figures = m["spec"]["keep"]["figures"]
    target = _target(target, figures)
    runs = study.figures
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    summary = study.summary()
    blocks = [_cards(study), Text("What was run", _describe(m)),
              Table("Summary of the outputs", summary,
                    note="count: runs with a finite value; std: sample standard deviation; "
                         "percentiles over the runs.")]
    units = m.get("figure_units", {})
    blocks += [_histogram(ok[name].to_numpy(float), name, units.get(name, ""))
               for name in figures[:MAX_HISTOGRAMS]]
    if target is not None and study.parameters and len(ok):
        blocks.append(_tornado(ok, study.parameters, m["spec"]["grid"], target,
                               units.get(target, "")))
    if m["spec"]["scenarios"] and len(runs):
        blocks.append(Table("Scenarios", _scenario_table(runs, figures),
                            note="mean of each figure over the scenario's runs"))
    failed = study.failed
    if len(failed):
        blocks.append(Table(f"Failed runs ({len(failed)})", failed.head(MAX_FAILED),
                            note=f"first {min(MAX_FAILED, len(failed))}; all are in runs/ "
                                 f"(status = 'failed')"))
    return Report("sweep", tables={"summary": summary}, blocks=blocks,
                  title=f"{m['case']['name']}: sweep of {m['runs']} runs",
                  figures={"sweep": {"runs": m["runs"], "failed": m["failed"]}})


def _target(target, figures):
    if target is None:
        return figures[0] if figures else None
    if target not in figures:
        raise ModelError(f"target: no kept figure '{target}'{suggestion(target, figures)} "
                         f"(kept: {', '.join(figures) or 'none'})")
    return target


def _cards(study) -> Cards:
    m, seconds = study.manifest, study.seconds
    items = [{"name": "runs", "value": m["runs"], "unit": ""},
             {"name": "failed", "value": m["failed"], "unit": ""},
             {"name": "chunks", "value": m["chunks"], "unit": ""},
             {"name": "seconds", "value": round(seconds, 2), "unit": "s"},
             {"name": "runs per second", "value": round(m["runs"] / seconds, 1)
              if seconds > 0 else float("nan"), "unit": "1/s"}]
    if m["seed"] is not None:
        items.append({"name": "seed", "value": str(m["seed"]), "unit": ""})
    return Cards("The sweep", items)


def _describe(m: dict) -> str:
    spec = m["spec"]
    parts = [f"{m['runs']} runs of case '{m['case']['name']}' (case hash "
             f"{m['case']['hash']}), {spec['kind']}, in {m['chunks']} chunks of up to "
             f"{m['chunk']} runs."]
    if spec["scenarios"]:
        parts.append("Scenarios: " + ", ".join(spec["scenarios"]) + ".")
    for name, options in spec["grid"].items():
        parts.append(f"Grid: {name} = {', '.join(f'{v:g}' for v in options)}.")
    if spec["draws"]:
        inputs = "; ".join(f"{i['parameter']} {i['distribution']}" for i in spec["inputs"])
        parts.append(f"{spec['draws']} Monte Carlo draws (seed {m['seed']}) of: {inputs}.")
    return "\n\n".join(parts)


def _histogram(values: np.ndarray, name: str, unit: str) -> Chart:
    v = values[np.isfinite(values)]
    counts, edges = np.histogram(v, bins=BINS) if len(v) else (np.zeros(0), np.zeros(1))
    figure = {"data": [{"type": "bar", "x": ((edges[:-1] + edges[1:]) / 2).tolist(),
                        "y": counts.tolist(), "width": np.diff(edges).tolist(),
                        "marker": {"color": "#2c7fb8"}}],
              "layout": {"xaxis": {"title": {"text": f"{name} ({unit})" if unit else name}},
                         "yaxis": {"title": {"text": "runs"}}, "height": 300,
                         "margin": {"l": 50, "r": 10, "t": 20, "b": 50}, "bargap": 0}}
    return Chart(f"Distribution of {name}", figure)


def tornado_rows(ok: pd.DataFrame, parameters, grid: dict, target: str) -> pd.DataFrame:
    """Per parameter: the target's mean over the runs at its low end and at its high end
    (grid: its lowest and highest option; drawn: its lowest and highest TAIL % of draws)."""
    y = ok[target].to_numpy(float)
    rows = []
    for p in parameters:
        v = ok[p].to_numpy(float)
        if p in grid:
            lo_mask, hi_mask = v == np.nanmin(v), v == np.nanmax(v)
        else:
            a, b = np.nanpercentile(v, [TAIL, 100 - TAIL])
            lo_mask, hi_mask = v <= a, v >= b
        rows.append({"parameter": p, "low": float(np.nanmin(v)), "high": float(np.nanmax(v)),
                     "at_low": float(np.nanmean(y[lo_mask])),
                     "at_high": float(np.nanmean(y[hi_mask]))})
    frame = pd.DataFrame(rows).set_index("parameter")
    frame["swing"] = (frame["at_high"] - frame["at_low"]).abs()
    return frame.sort_values("swing")


def _tornado(ok, parameters, grid, target, unit) -> Chart:
    rows = tornado_rows(ok, parameters, grid, target)
    base = float(np.nanmean(ok[target].to_numpy(float)))
    names = list(rows.index)
    data = [{"type": "bar", "orientation": "h", "y": names, "base": base, "name": end,
             "x": (rows[f"at_{end}"] - base).tolist(),
             "customdata": rows[end].tolist(),
             "hovertemplate": f"%{{y}} at its {end} end (%{{customdata:.6g}}): "
                              f"%{{x:+.6g}}<extra></extra>"}
            for end in ("low", "high")]
    figure = {"data": data,
              "layout": {"barmode": "overlay", "height": max(250, 40 * len(names) + 100),
                         "xaxis": {"title": {"text": f"{target} ({unit})" if unit else target}},
                         "margin": {"l": 10, "r": 10, "t": 20, "b": 50},
                         "yaxis": {"automargin": True}}}
    return Chart(f"Tornado: what moves {target}", figure,
                 note=f"mean of {target} over the runs at each parameter's low and high end "
                      f"(grid: lowest and highest option; drawn: lowest and highest {TAIL} % "
                      f"of draws), around the mean over all runs ({base:.6g}).")


def _scenario_table(runs: pd.DataFrame, figures) -> pd.DataFrame:
    g = runs.groupby("scenario", sort=False)
    table = g[list(figures)].mean() if figures else pd.DataFrame(index=g.size().index)
    table.insert(0, "runs", g.size())
    table.insert(1, "failed", g["status"].apply(lambda s: int((s == "failed").sum())))
    return table
