"""A solved case as the plain tables the export formats are written from (io/export): flows
with their amounts per balance layer and propagated values, nodes, the rows of the IAMC
table, floweaver's flows and processes, and the activities of a Brightway inventory."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...io.export.iamc import variable
from ...io.export.weaver import group_of
from ...views.extract import measure, view_data
from ..runner import totals

#: node columns the exports carry
NODE_COLUMNS = ("kind", "label", "firm", "sector", "stage", "system")
#: flow columns the exports carry, with their units ('flow' = the flow's own unit)
FLOW_UNITS = {"quantity": "flow", "cost": "CNY", "value": "CNY", "tce": "tce", "co2": "t"}


def flow_table(result) -> pd.DataFrame:
    """One row per flow: source, target, carrier, kind, role, quantity, unit, the amount in
    each balance layer (mass [t], energy [GJ], elements [t]), cost, value, tce, co2,
    negative and label."""
    f = result.flows
    frame = f[["source", "target", "carrier", "kind", "role", "quantity", "unit"]].copy()
    data = view_data(result)
    for layer in result.compiled.layers:
        amounts, unit = measure(data, layer)
        frame[f"{layer} [{unit}]"] = amounts
    for col in ("cost", "value", "tce", "co2", "negative", "label"):
        frame[col] = f[col]
    return frame


def node_table(result) -> pd.DataFrame:
    nf = result.network.node_frame()
    return pd.DataFrame({k: nf[k].to_numpy() for k in NODE_COLUMNS if k in nf},
                        index=result.compiled.node_ids.copy()).rename_axis("id")


# -- IAMC --------------------------------------------------------------------------------------

def iamc_rows(case, results: dict) -> pd.DataFrame:
    """scenario, variable, unit, value of every flow, purchase, sale and loss by carrier,
    whole-system total and headline figure of each result (by scenario name)."""
    rows = []
    for name, result in results.items():
        rows.extend((name, *row) for row in result_rows(result))
    for fig in case.figure_values():
        if fig["scenario"] in results and fig["value"] is not None:
            rows.append((fig["scenario"], variable("Figure", fig["name"]), fig["unit"] or "",
                         fig["value"]))
    return pd.DataFrame(rows, columns=["scenario", "variable", "unit", "value"])


def result_rows(result) -> list[tuple]:
    """(variable, unit, value) of every flow, purchase, sale and loss by carrier and
    whole-system total of one result."""
    rows = []
    f = result.flows
    kinds = result.compiled.node_kind
    bought = kinds[result.compiled.tail] == "source"
    sold = (kinds[result.compiled.head] == "sink") & ~f["negative"].to_numpy()
    for s, t, c, q, u in zip(f["source"], f["target"], f["carrier"], f["quantity"], f["unit"]):
        rows.append((variable("Flow", s, t, c), u, q))
    for label, mask in (("Purchase", bought), ("Sale", sold), ("Loss", f["negative"].to_numpy())):
        sub = f[mask]
        for (c, u), q in sub.groupby(["carrier", "unit"], sort=False)["quantity"].sum(
                min_count=1).items():
            rows.append((variable(label, c), u, q))
    for label, value, unit in totals(result):
        rows.append((variable("Total", label), unit, value))
    return rows


# -- floweaver ---------------------------------------------------------------------------------

def weaver_tables(result, by: str = "mass") -> tuple[pd.DataFrame, pd.DataFrame]:
    """floweaver's flows (source, target, type, value in `by`, id, unit, role; flows
    without an amount in `by` left out) and processes (id, group, kind, label, stage)."""
    data = view_data(result)
    amounts, unit = measure(data, by)
    f = result.flows
    flows = pd.DataFrame({"source": f["source"].to_numpy(), "target": f["target"].to_numpy(),
                          "type": f["carrier"].to_numpy(), "value": amounts,
                          "id": f.index.to_numpy(), "unit": unit, "role": f["role"].to_numpy()})
    flows = flows[np.isfinite(flows["value"]) & (flows["value"] > 0)].reset_index(drop=True)
    nodes = node_table(result)
    processes = pd.DataFrame({
        "id": nodes.index.to_numpy(),
        "group": [group_of(k, s) for k, s in zip(nodes["kind"], nodes.get("stage",
                                                  pd.Series([None] * len(nodes))))],
        "kind": nodes["kind"].to_numpy(),
        "label": nodes["label"].to_numpy() if "label" in nodes else None,
        "stage": nodes["stage"].to_numpy() if "stage" in nodes else None})
    return flows, processes


# -- Brightway ---------------------------------------------------------------------------------

FOREGROUND = ("process", "utility", "storage")


def activities(result, database: str) -> list[dict]:
    """One activity per process, utility and storage node: its reference product (the
    largest positive output in its balance layer) and its exchanges per unit of it."""
    f = result.flows
    kinds = dict(zip(result.compiled.node_ids, result.compiled.node_kind))
    labels = node_table(result)["label"] if "label" in node_table(result) else {}
    names = _activity_names([n for n, k in kinds.items() if k in FOREGROUND], labels)
    primary, _ = measure(view_data(result), "auto")
    refs = {n: _reference(f, primary, n) for n in names}
    out = []
    for node, name in names.items():
        ref = refs[node]
        scale = f.at[ref, "quantity"] if ref is not None else 1.0
        scale = scale if np.isfinite(scale) and scale > 0 else 1.0
        exchanges = [{"name": name, "amount": 1.0, "type": "production",
                      "unit": f.at[ref, "unit"] if ref is not None else "unit",
                      "location": "GLO", "database": database,
                      "reference product": f.at[ref, "carrier"] if ref is not None else name}]
        exchanges += _inputs(f, node, names, refs, kinds, database, scale)
        exchanges += _outputs(f, node, ref, kinds, scale)
        out.append({"name": name, "code": str(node), "location": "GLO", "type": "process",
                    "reference product": exchanges[0]["reference product"],
                    "unit": exchanges[0]["unit"],
                    "production amount": float(scale) if ref is not None else None,
                    "comment": f"flowgraph node '{node}' ({kinds[node]}); exchanges per unit "
                               f"of its reference product", "exchanges": exchanges})
    return out


def _activity_names(nodes: list, labels) -> dict:
    """Activity name per node: its label when no other node has the same, else its id."""
    shown = {n: (labels.get(n) if isinstance(labels.get(n), str) and labels.get(n) else str(n))
             for n in nodes}
    counts = pd.Series(list(shown.values())).value_counts()
    return {n: (s if counts[s] == 1 else str(n)) for n, s in shown.items()}


def _reference(f: pd.DataFrame, primary: np.ndarray, node):
    """The flow id of a node's reference product: its largest positive output."""
    mask = (f["source"] == node).to_numpy() & ~f["negative"].to_numpy()
    amounts = np.where(mask & np.isfinite(primary), primary, -1.0)
    return f.index[int(amounts.argmax())] if mask.any() and amounts.max() > 0 else None


def _inputs(f, node, names, refs, kinds, database, scale) -> list[dict]:
    out = []
    for fid, rec in f[f["target"] == node].iterrows():
        if not np.isfinite(rec["quantity"]):
            continue
        src = rec["source"]
        linked = src in names and refs.get(src) is not None \
            and f.at[refs[src], "carrier"] == rec["carrier"]
        out.append({"name": names[src] if linked else rec["carrier"],
                    "amount": float(rec["quantity"] / scale), "unit": rec["unit"],
                    "location": "GLO", "type": "technosphere",
                    "database": database if linked else None,
                    "reference product": rec["carrier"],
                    "comment": f"flow '{fid}' from '{src}' ({kinds[src]})"})
    return out


def _outputs(f, node, ref, kinds, scale) -> list[dict]:
    out = []
    for fid, rec in f[f["source"] == node].iterrows():
        if fid == ref or kinds[rec["target"]] != "sink" or not np.isfinite(rec["quantity"]):
            continue
        amount = float(rec["quantity"] / scale)
        if rec["negative"] and rec["kind"] == "emission":
            out.append({"name": rec["carrier"], "amount": amount, "unit": rec["unit"],
                        "type": "biosphere", "categories": "air",
                        "comment": f"flow '{fid}' ({rec['role']})"})
        else:
            out.append({"name": rec["carrier"], "amount": -amount, "unit": rec["unit"],
                        "location": "GLO", "type": "technosphere",
                        "reference product": rec["carrier"],
                        "comment": f"flow '{fid}' ({rec['role']}) to '{rec['target']}': "
                                   f"{'treatment' if rec['negative'] else 'substitution'}"})
    return out
