"""Doc 001's value flows 1-4 by origin in the evaluation (methods/value_origins.py):

    [evaluation.origins]
    own_sources = ["phosphorus chain", "chlor-alkali chain"]   # the firm's own resources (VF 3)
    intermediates = ["phosphorus trichloride", "glycine"]      # own intermediates (VF 3, carried)
    recycled = ["DMP acid to synthesis"]                       # recycled besides role = recycle (VF 4)

Without the table every source counts as purchased and only role = recycle as recycled. The
statement gets "of which" rows (purchased and own raw material, purchased energy); the
value-flow table gives all four per situation; names that match nothing in any situation are
refused by name.
"""

from __future__ import annotations

import pandas as pd

from ...methods.value_origins import ORIGINS, OWN, PURCHASED, classify, summarise
from ...model import units
from ...model.report import Table
from .aggregates import mass_per_unit
from .exceptions import EvaluationError

KEYS = ("own_sources", "intermediates", "recycled")
#: statement rows added under the raw-material and energy cost: (after item, wording, origin,
#: cost category)
OF_WHICH = (("raw-material cost", "of which value flows 1-2 (purchased)", PURCHASED, "material"),
            ("raw-material cost", "of which value flow 3 (own resources)", OWN, "material"),
            ("energy cost", "of which value flows 1-2 (purchased)", PURCHASED, "energy"),
            ("energy cost", "of which value flow 3 (own resources)", OWN, "energy"))


def settings(case, situations) -> dict:
    """[evaluation.origins] checked against the situations' networks."""
    raw = case.section("evaluation").get("origins") or {}
    where = case.origin("evaluation", "origins")
    if not isinstance(raw, dict):
        raise EvaluationError(f"[evaluation] origins: give a table, not {raw!r}", origin=where)
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise EvaluationError(f"[evaluation.origins]: unknown key(s) "
                              f"{', '.join(map(repr, unknown))}; known: {', '.join(KEYS)}",
                              origin=where)
    out = {}
    for key in KEYS:
        names = raw.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise EvaluationError(f"[evaluation.origins] {key}: give a list of names",
                                  origin=where)
        out[key] = names
    seen = {"own_sources": set(), "intermediates": set(), "recycled": set()}
    for s in situations:
        net = s.result.network
        nodes = net.node_frame()
        seen["own_sources"] |= set(nodes.index[nodes["kind"] == "source"])
        flows = net.flow_frame()
        seen["intermediates"] |= set(flows["carrier"])
        seen["recycled"] |= set(flows.index)
    what = {"own_sources": "a source node", "intermediates": "a carrier of a flow",
            "recycled": "a flow"}
    for key in KEYS:
        bad = [n for n in out[key] if n not in seen[key]]
        if bad:
            raise EvaluationError(f"[evaluation.origins] {key}: {', '.join(map(repr, bad))} "
                                  f"is not {what[key]} in any evaluated situation",
                                  origin=where)
    return out


def tables(case, situations, unit: str) -> dict:
    """value_flows (per situation and origin) and value_flow_items (every classed flow)."""
    opts = settings(case, situations)
    k = units.factor("CNY", unit)
    summaries, items = {}, {}
    for s in situations:
        flows = classify(s.result, **opts)
        mass = pd.Series(mass_per_unit(s.result) * s.result.flows["quantity"].fillna(0.0)
                         .to_numpy(), index=s.result.flows.index)
        summ = summarise(flows, mass)
        money = [c for c in summ.columns if c not in ("flows", "mass_t", "counted")]
        summ[money] *= k
        flows[[*money]] *= k
        summaries[s.label], items[s.label] = summ, flows
    return {"value_flows": pd.concat(summaries, names=["situation"]),
            "value_flow_items": pd.concat(items, names=["situation"])}


def statement_rows(statement: pd.DataFrame, value_flows: pd.DataFrame,
                   unit: str) -> pd.DataFrame:
    """The statement with "of which" rows by origin under the raw-material and energy cost."""
    labels = list(value_flows.index.get_level_values("situation").unique())
    rows = []
    for item, row in statement.iterrows():
        rows.append((item, row))
        for after, wording, origin, cat in OF_WHICH:
            if after != item:
                continue
            vals = [float(value_flows.at[(lab, origin), cat]) for lab in labels]
            new = {"part": "by origin", "unit": unit, **dict(zip(labels, vals))}
            for lab, v in zip(labels[1:], vals[1:]):
                new[f"{lab} - {labels[0]}"] = v - vals[0]
            rows.append((f"{after}: {wording}", pd.Series(new)))
    return pd.DataFrame([r for _, r in rows], index=pd.Index([i for i, _ in rows],
                                                              name=statement.index.name))


def blocks(tables: dict, unit: str) -> list:
    """The value-flow table of the report."""
    money = {c: unit for c in ("material", "energy", "system", "waste_management", "value")}
    return [Table(f"Value flows 1-4 by origin ({unit})", tables["value_flows"], level=3,
                  units={**money, "mass_t": "t"},
                  note="Doc 001 figure 1: value flows 1-2 purchased resources, 3 the firm's own "
                       "resources and intermediates, 4 wastes recycled into production. "
                       "Purchased and own resources are new inputs (their sum is the positive "
                       "cost); intermediates and recycled flows carry value already counted, "
                       "shown beside it (docs/methods/value_origins.md).")]


__all__ = ["ORIGINS", "blocks", "settings", "statement_rows", "tables"]
