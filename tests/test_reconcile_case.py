"""The reconcile demo case and the `flowgraph reconcile` command, against an independent
optimiser on the case's balances written out by hand."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import flowgraph as fg
from flowgraph.app.registry import get
from flowgraph.cli import main

CASE = str(Path(__file__).parent.parent / "cases" / "reconcile_demo")

# measured values and sigmas of cases/reconcile_demo: ore, water, fines, solution, residue,
# slurry share, wastewater, sludge, effluent (pigment 959.7 exact, vapour share 0.04 exact)
NAMES = ["ore", "water", "fines", "solution", "residue", "slurry", "wastewater", "sludge",
         "effluent"]
Y0 = np.array([1012, 1490, 25, 2450, 52, 0.965, 1480, 26.4, 1295])
SY = np.array([10, 30, 2.5, 73.5, 2.6, 0.01, 44.4, 2.64, 38.85])
PIGMENT, VAPOUR = 959.7, 0.04


def balances(v):
    """The case's balances by hand: dissolving; reaction + drying (slurry = s x solution,
    of which 4 % leaves as vapour); wastewater treatment."""
    o, w, f, S, r, s, ww, sl, e = v
    return np.array([o + w + f - S - r,
                     (1 - VAPOUR) * s * S - f - ww - PIGMENT,
                     ww - sl - e])


def by_optimiser(drop_wastewater=False):
    """SLSQP on the same objective; without the wastewater meter, wastewater = sludge +
    effluent is substituted (it is then an unknown fixed by the treatment balance)."""
    keep = np.array([not (drop_wastewater and n == "wastewater") for n in NAMES])

    def full(v):
        if not drop_wastewater:
            return v
        return np.insert(v, 6, v[6] + v[7])

    y0, sy = Y0[keep], SY[keep]

    def scaled(u):        # in units of each measurement's sigma: SLSQP stays well conditioned
        return y0 + sy * u

    res = optimize.minimize(lambda u: np.sum(u ** 2), np.zeros(keep.sum()), method="SLSQP",
                            jac=lambda u: 2 * u,
                            constraints={"type": "eq", "fun": lambda u: balances(
                                full(scaled(u)))[:3 - drop_wastewater] / 100},
                            options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    return full(scaled(res.x)), res.fun


@pytest.fixture(scope="module")
def case():
    return fg.load(CASE)


def test_demo_reconciled_as_an_independent_optimiser_does(case):
    r = case.network.reconcile()
    want, chi2 = by_optimiser()
    f = r.flows
    got = np.array([f.at[n, "share" if n == "slurry" else "quantity"] for n in NAMES])
    np.testing.assert_allclose(got, want, rtol=2e-6)
    assert r.chi2 == pytest.approx(chi2, rel=1e-5)
    assert r.dof == 3 and not r.passed
    assert r.flows["gross_error"].sum() == 1 and r.flows.at["wastewater", "gross_error"]
    assert sorted(r.unobservable) == ["stack A", "stack B"]
    assert sorted(r.nonredundant) == ["power dissolving", "power reaction", "steam drying"]
    # what follows from the reconciled values, by hand
    s, S = want[5], want[3]
    assert f.at["slurry", "quantity"] == pytest.approx(s * S, rel=2e-6)
    assert f.at["vapour", "quantity"] == pytest.approx(VAPOUR * s * S, rel=2e-6)
    assert f.at["pigment", "quantity"] == PIGMENT and f.at["pigment", "sigma"] == 0
    # value flow: the stacks' split is unknown, but not what the reaction passes on
    assert np.isnan(f.at["stack A", "cost"]) and np.isfinite(f.at["slurry", "cost"])


def test_demo_serial_elimination_drops_the_wastewater_meter(case):
    r = case.network.reconcile(eliminate=True)
    assert [e[0] for e in r.eliminated] == ["wastewater"]
    assert r.passed and r.dof == 2
    want, chi2 = by_optimiser(drop_wastewater=True)
    assert r.flows.at["wastewater", "quantity"] == pytest.approx(want[6], rel=2e-6)
    assert r.flows.at["wastewater", "status"] == "dropped"
    assert r.chi2 == pytest.approx(chi2, rel=1e-5)
    same = case.network.reconcile(drop=["wastewater"])
    assert same.flows["quantity"].equals(r.flows["quantity"])


def test_drop_of_a_flow_without_value_is_an_error(case):
    with pytest.raises(fg.ModelError, match="cannot drop 'stack A'"):
        case.network.reconcile(drop=["stack A"])


def test_reconcile_command_writes_tables_json_and_page(tmp_path, capsys):
    assert main(["reconcile", CASE, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "global test FAILED" in out and "'wastewater'" in out
    for name in ("reconciled_flows.csv", "tests.csv", "adjustments.csv", "summary.json",
                 "report.html", "reconciliation.json"):
        assert (tmp_path / name).exists()
    flows = pd.read_csv(tmp_path / "reconciled_flows.csv", index_col="id")
    assert {"measured", "quantity", "sigma", "adjustment", "test", "gross_error"} <= set(flows.columns)
    adj = pd.read_csv(tmp_path / "adjustments.csv")
    assert len(adj) == 8 and adj.iloc[0]["flow"] == "wastewater"    # top = 8 in [reconcile]
    doc = json.loads((tmp_path / "reconciliation.json").read_text())
    assert doc["global_test"]["gross_errors"] == ["wastewater"]
    assert doc["global_test"]["dof"] == 3
    page = (tmp_path / "report.html").read_text()
    for title in ("Normalised adjustments", "Largest adjustments", "Reconciled flows"):
        assert title in page
    assert not re.search(r"<script[^>]*\bsrc=", page)         # plotly inlined: works offline


def test_reconcile_command_options_override_the_case(tmp_path, capsys):
    assert main(["reconcile", CASE, "--out", str(tmp_path), "--eliminate", "--top", "3",
                 "--alpha", "0.02"]) == 0
    assert "dropped by serial elimination" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "adjustments.csv")) == 3
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["alpha"] == 0.02 and summary["eliminated"] == ["wastewater"]


def test_solve_refuses_the_case_that_reconcile_handles(capsys):
    """solve() needs every flow determined and the data consistent: the stacks are not
    determined, and the readings contradict each other."""
    assert main(["run", CASE, "--out", "/nonexistent/never-written"]) == 2
    assert "under-determined" in capsys.readouterr().err
    net = fg.load(CASE).network
    net.set_flow("stack A", quantity=40)
    with pytest.raises(fg.InconsistentError, match="reconcile"):
        net.solve()


def test_reconcile_options_are_checked_by_name(tmp_path, capsys):
    assert main(["reconcile", CASE, "--alpha", "1.5", "--out", str(tmp_path)]) == 2
    assert "--alpha '1.5' is not a valid probability" in capsys.readouterr().err
    text = (Path(CASE) / "case.toml").read_text(encoding="utf-8")
    (tmp_path / "case.toml").write_text(text.replace("top = 8", "top = 8\ndorp = [1]"),
                                        encoding="utf-8")
    line = text.splitlines().index("[reconcile]") + 1
    with pytest.raises(fg.FlowgraphError, match=rf"case.toml:{line}: .*'dorp'.*'drop'"):
        get("reconcile").report(fg.load(tmp_path))
