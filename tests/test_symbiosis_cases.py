"""The Kalundborg and EIP-energy cases and the `flowgraph symbiosis` command."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.plugins import symbiosis as sym

CASES = Path(__file__).resolve().parent.parent / "cases"
KAL = CASES / "kalundborg"


@pytest.fixture(scope="module")
def kalundborg():
    return fg.load(KAL)


def test_flows_csv_is_the_build_scripts_output():
    spec = importlib.util.spec_from_file_location("kal_build", KAL / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build().to_csv(index=False, lineterminator="\n") == \
        (KAL / "flows.csv").read_text(encoding="utf-8")


def test_the_shared_data_are_copied_verbatim():
    shared = Path("/work/shared/data/kalundborg_exchanges.csv")
    if not shared.exists():
        pytest.skip("shared data not on this machine")
    assert (KAL / "kalundborg_exchanges.csv").read_bytes() == shared.read_bytes()


def test_kalundborg_structure_from_the_data_rows(kalundborg):
    """Counted from kalundborg_exchanges.csv: rows 1 and 3 come from Lake Tisso (the
    environment); the other 17 rows join 10 partners in 14 ordered pairs (Statoil -> Asnaes
    carries rows 10, 13, 14; NovoNordisk -> Farms rows 4 and 11). Statoil <-> Asnaes is
    the only pair linked both ways, so 13 unordered pairs and one cycle."""
    with (KAL / "kalundborg_exchanges.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    inner = [r for r in rows if r["source"] != "LakeTisso"]
    partners = {r["source"] for r in inner} | {r["target"] for r in inner}
    pairs = {(r["source"], r["target"]) for r in inner}
    r = kalundborg.result()
    assert sym.actors(r) == len(partners) == 10
    assert sym.links(r) == len(pairs) == 14
    assert sym.exchanges(r) == len(inner) == 17
    assert sym.connectance(r) == pytest.approx(14 / 100)
    assert sym.connectance(r, directed=False) == pytest.approx(2 * 13 / 90)
    assert sym.cycles(r) == [["Asnaes", "Statoil"]] or sym.cycles(r) == [["Statoil", "Asnaes"]]
    assert sym.cyclicity(r) == pytest.approx(1.0)
    # quantities: the 7 exchanges with one published number, plus crude oil; nothing invented
    known = r.flows["quantity"].notna()
    assert sorted(r.flows.index[known]) == ["B1", "E04", "E05", "E08", "E10", "E11", "E12",
                                            "E15"]
    assert r.flows.loc["E19", "quantity"] != r.flows.loc["E19", "quantity"]   # NaN: a range
    ex = sym.park(r).exchanges
    assert ex.loc["E08", "confidence"] == "uncertain"
    assert ex.loc["E19", "quantity_low"] == 15000 and ex.loc["E19", "quantity_high"] == 27000


def test_kalundborg_power_station_is_most_critical(kalundborg):
    """Asnaes takes part in 7 of the 14 links (rows 5-10, 13-15: Cement, FishFarm,
    Municipality, NovoNordisk, Statoil both ways, Gyproc), Statoil in 5."""
    t = sym.resilience(kalundborg.result())
    assert t.index[0] == "Asnaes"
    assert t.loc["Asnaes", "links_lost"] == 7 and t.loc["Statoil", "links_lost"] == 5
    # known flows of Asnaes: in 700,000 t cooling water; out 135,000 + 215,000 + 150,000 t
    assert t.loc["Asnaes", "returned_to_disposal"] == pytest.approx(700000.0)
    assert t.loc["Asnaes", "inputs_to_replace"] == pytest.approx(500000.0)
    assert t.loc["Asnaes", "stranded"] == "Cement"
    assert sym.keystone_firms(kalundborg.result())[0] == "Asnaes"


def test_kalundborg_finn_index_of_the_known_flows(kalundborg):
    """The one cycle's return leg (process steam Asnaes -> Statoil) has no published
    quantity, so the known flows cycle nothing."""
    f = sym.finn(kalundborg.result())
    assert f.index == 0.0
    assert f.unknown_flows == 9          # the unquantified exchanges in the mass layer


def test_kalundborg_what_if_matcher_proposes_links(kalundborg):
    section = kalundborg.section("symbiosis")
    r = kalundborg.result(section["what_if"][0])
    c = sym.candidates(r)
    new = c[c["source_firm"] == "Biorefinery"]
    assert ("Asnaes", "coal") in set(zip(new["target_firm"], new["replaces"]))
    lignin = new[new["replaces"] == "coal"].iloc[0]
    assert lignin["capacity_basis"] == "supply (demand unknown)"
    assert lignin["capacity"] == pytest.approx(13000.0)
    a = sym.allocate(new)
    assert "coal" in set(a.links["replaces"])
    # the real long-distance exchanges lie beyond the NISP median distance
    base = sym.park(kalundborg.result())
    d = sym.haversine_km(base.firms.loc["Statoil", "lat"], base.firms.loc["Statoil", "lon"],
                         base.firms.loc["Kemira", "lat"], base.firms.loc["Kemira", "lon"])
    assert d > 32.6


def test_cli_symbiosis_writes_summary_with_the_headline_keys(tmp_path, capsys):
    out = tmp_path / "kal"
    assert main(["symbiosis", str(KAL), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("actors", "links", "connectance", "finn_cycling_index", "most_critical_firm"):
        assert key in summary
    assert summary["most_critical_firm"] == "Asnaes"
    assert summary["actors"] == 10 and summary["links"] == 14
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Resilience by removal" in html and "<script src=" not in html
    assert (out / "resilience.csv").exists() and (out / "candidates.csv").exists()
    assert "most_critical_firm: Asnaes" in capsys.readouterr().out


def test_run_includes_the_plugin_and_figures(tmp_path):
    assert main(["run", str(KAL), "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["links"] == 14 and summary["connectance"] == pytest.approx(0.14)
    assert (tmp_path / "symbiosis_resilience.csv").exists()


def test_eip_energy_case(tmp_path):
    out = tmp_path / "eip"
    assert main(["symbiosis", str(CASES / "eip_energy"), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    measures = summary["energy_measures"]
    assert {"M1", "M2", "M3", "M4", "M5", "M1 & M3"} <= set(measures)
    assert all(m["abatement_t"] > 0 for m in measures.values())
    mac = pd.read_csv(out / "energy_mac.csv", index_col=0)
    assert mac["cost_per_t"].is_monotonic_increasing
    units = pd.read_csv(out / "energy_units.csv")
    assert len(units) == 12
    # the baseline holds every slot's capacity from its unit's start (like-for-like
    # follow-ups): in service each year is the capacity of the units started by then
    stock = pd.read_csv(out / "energy_stock_by_cohort.csv")
    held = stock.groupby("year")["capacity_mw"].sum()
    started = [units.loc[units["start_year"] <= y, "capacity_mw"].sum() for y in held.index]
    assert np.allclose(held, started) and held.iloc[0] == 1259.0
    assert set(stock["unit"]) == set(units.iloc[:, 0])


def test_strict_false_leaves_undetermined_flows_unknown(tmp_path):
    text = """[case]
name = "partial"
strict = false
[[node]]
id = "A"
layers = []
[[node]]
id = "B"
layers = []
[[flow]]
source = "A"
target = "B"
carrier = "x"
quantity = 5.0
[[flow]]
source = "B"
target = "A"
carrier = "y"
"""
    (tmp_path / "case.toml").write_text(text, encoding="utf-8")
    r = fg.load(tmp_path).result()
    assert r.flows["quantity"].isna().tolist() == [False, True]
    (tmp_path / "case.toml").write_text(text.replace("strict = false\n", ""), encoding="utf-8")
    with pytest.raises(fg.UnderdeterminedError, match="B->A:y"):
        fg.load(tmp_path).result()


def test_add_flow_edit_keeps_its_target_node_through_a_case_file():
    rec = {"op": "add_flow", "id": "link", "source": "a", "target": "b", "carrier": "c",
           "quantity": 1.0}
    edit = fg.Edit.from_record(dict(rec))
    assert edit.target == "link" and edit.values["target"] == "b"
    assert edit.to_record() == rec


def test_kalundborg_saves_and_loads_without_loss(kalundborg, tmp_path):
    fg.save(kalundborg, tmp_path / "copy")
    again = fg.load(tmp_path / "copy")
    a, b = kalundborg.result(), again.result()
    assert sym.network_metrics(a) == sym.network_metrics(b)
    assert sym.park(b).exchanges.loc["E19", "quantity_high"] == 27000
    w = again.result("biorefinery joins")
    assert "Biorefinery" in sym.park(w).actors


UNIT_CASE = """[case]
name = "one boiler"
[[node]]
id = "U1"
kind = "utility"
fuel = "coal"
output = "heat"
capacity_mw = 10.0
start_year = 2000
lifetime = 20
[symbiosis.energy]
start_year = 2018
end_year = 2022
"""


def test_energy_section_without_measures_gives_the_baseline(tmp_path):
    (tmp_path / "case.toml").write_text(UNIT_CASE, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["symbiosis", str(tmp_path), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["energy_measures"] == {}
    assert summary["energy_baseline_co2_t"] > 0


def test_bad_measure_in_a_case_names_the_case(tmp_path, capsys):
    text = UNIT_CASE + '[[symbiosis.energy.measure]]\nid = "M1"\nwhen = "retrofit"\nsped = 2\n'
    (tmp_path / "case.toml").write_text(text, encoding="utf-8")
    assert main(["symbiosis", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err
    assert "[symbiosis.energy] measure 1 ('M1'): unknown key(s) ['sped']" in err
