"""Stocks by cohort (solvers/cohorts.py): hand-computed two-cohort examples, an initial stock
by age, the stock-driven inverse, conservation over any horizon, flodym's dynamic stock
models where flodym installs, and each impossible input refused by name."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowgraph.errors import ModelError, StockError
from flowgraph.solvers.cohorts import (
    Lifetime,
    carry_forward,
    inflow_driven,
    stock_driven,
    stock_driven_as_built,
)


def test_two_cohorts_with_an_exponential_lifetime_by_hand():
    # Weibull of shape 1 is exponential: S(a) = exp(-a / 2); cohorts enter mid-period
    m = inflow_driven([100.0, 50.0], Lifetime("weibull", shape=1, scale=2))
    e = math.exp
    assert m.stock_by_cohort[0, 0] == pytest.approx(100 * e(-0.25), rel=1e-14)
    assert m.stock[1] == pytest.approx(100 * e(-0.75) + 50 * e(-0.25), rel=1e-14)
    assert m.outflow[0] == pytest.approx(100 * (1 - e(-0.25)), rel=1e-14)
    assert m.outflow[1] == pytest.approx(100 * (e(-0.25) - e(-0.75)) + 50 * (1 - e(-0.25)),
                                         rel=1e-14)
    assert m.outflow_by_cohort[0, 1] == 0.0            # the second cohort is not there yet


def test_a_fixed_lifetime_leaves_whole_after_its_years():
    # mean 2, mid-period entry: in stock at ages 0.5 and 1.5, gone at 2.5 (flodym's rule)
    m = inflow_driven([10, 20, 5, 0], Lifetime("fixed", mean=2), periods=[2025, 2026, 2027, 2028])
    assert list(m.stock) == [10, 30, 25, 5]
    assert list(m.outflow) == [0, 0, 10, 20]
    assert list(m.stock_change) == [10, 20, -5, -20]
    table = m.totals()
    assert list(table.index) == [2025, 2026, 2027, 2028]
    frame = m.frame()
    assert len(frame) == 4 + 3 + 2 + 1                   # cohorts present in each period
    assert frame.loc[(frame.period == 2027) & (frame.cohort == 2025), "outflow"].item() == 10


def test_an_initial_stock_by_age_leaves_by_its_remaining_life():
    # fixed 3 years: a stock of age 2 at the start (entered at -1.5) leaves at age 3.5,
    # in the second period; a stock of age 1 in the third
    m = inflow_driven([0, 0, 0], Lifetime("fixed", mean=3), initial={1: 6, 2: 40})
    assert m.initial == 46
    assert list(m.stock) == [46, 6, 0]
    assert list(m.outflow) == [0, 40, 6]
    assert m.cohorts[:2] == ["age 2", "age 1"]
    # exponential: survival from the start of the horizon is conditional on being there
    w = inflow_driven([0, 0], Lifetime("weibull", shape=1, scale=4), initial=[8.0])
    assert w.stock[1] == pytest.approx(8 * math.exp(-2 / 4), rel=1e-14)   # memoryless


def test_changing_lifetimes_by_cohort():
    short, long = Lifetime("fixed", mean=1), Lifetime("fixed", mean=3)
    m = inflow_driven([10, 10, 10], [short, long, long])
    assert list(m.outflow) == [0, 10, 0]                 # only the first cohort is short-lived


def test_the_stock_driven_model_inverts_the_inflow_driven_one():
    life = Lifetime("lognormal", mean=5, std=2)
    inflow = np.array([3.0, 8, 0, 2, 9, 4, 0, 1])
    forward = inflow_driven(inflow, life, initial={1: 5, 4: 2})
    back = stock_driven(forward.stock, life, initial={1: 5, 4: 2})
    np.testing.assert_allclose(back.inflow, inflow, atol=1e-12)
    np.testing.assert_allclose(back.outflow, forward.outflow, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(inflow=st.lists(st.floats(0, 1e6), min_size=1, max_size=15),
       initial=st.lists(st.floats(0, 1e5), max_size=4),
       kind=st.sampled_from(["fixed", "normal", "lognormal", "weibull"]),
       a=st.floats(0.5, 20), b=st.floats(0.1, 5),
       at=st.sampled_from(["start", "middle", "end"]))
def test_conservation_over_any_horizon(inflow, initial, kind, a, b, at):
    """Cumulative inflow = cumulative outflow + stock change, period by period; no stock or
    outflow below zero."""
    params = {"fixed": {"mean": a}, "normal": {"mean": a, "std": b},
              "lognormal": {"mean": a, "std": b}, "weibull": {"shape": b, "scale": a}}[kind]
    life = Lifetime(kind, **params)
    try:
        m = inflow_driven(inflow, life, inflow_at=at, initial=initial or None)
    except StockError:
        return                                            # initial stock older than its lifetime
    scale = max(sum(inflow) + sum(initial), 1.0)
    assert np.all(m.stock_by_cohort >= -1e-12 * scale)
    assert np.all(m.outflow_by_cohort >= -1e-12 * scale)
    np.testing.assert_allclose(np.cumsum(m.inflow), np.cumsum(m.outflow) + m.stock - m.initial,
                               atol=1e-9 * scale)


def test_the_cohorts_agree_with_flodym():
    fd = pytest.importorskip("flodym")
    dims = fd.DimensionSet(dim_list=[fd.Dimension(name="Time", letter="t",
                                                  items=list(range(2000, 2012)))])
    values = np.array([10, 20, 5, 0, 7, 3, 0, 0, 12, 1.0, 4, 6])
    models = [(fd.WeibullLifetime(dims=dims, weibull_shape=2.0, weibull_scale=3.0),
               Lifetime("weibull", shape=2, scale=3)),
              (fd.NormalLifetime(dims=dims, mean=4.0, std=1.5), Lifetime("normal", mean=4, std=1.5)),
              (fd.LogNormalLifetime(dims=dims, mean=4.0, std=1.5),
               Lifetime("lognormal", mean=4, std=1.5)),
              (fd.FixedLifetime(dims=dims, mean=3.0), Lifetime("fixed", mean=3))]
    for theirs, ours in models:
        dsm = fd.InflowDrivenDSM(dims=dims, inflow=fd.StockArray(dims=dims, values=values),
                                 lifetime_model=theirs)
        dsm.compute()
        m = inflow_driven(values, ours)
        np.testing.assert_allclose(m.stock_by_cohort, dsm.get_stock_by_cohort(), atol=1e-12)
        np.testing.assert_allclose(m.outflow_by_cohort, dsm.get_outflow_by_cohort(), atol=1e-12)


def test_a_stock_carried_forward_and_drained_below_zero():
    s = carry_forward(10, [6, 0, 4], [5, 11, 4], periods=["Jan", "Feb", "Mar"], name="tank")
    assert list(s) == [11, 0, 0]
    with pytest.raises(StockError, match=r"tank drained below zero in period Feb: -4"):
        carry_forward(10, [6, 0], [5, 15], periods=["Jan", "Feb"], name="tank")


@pytest.mark.parametrize("make, words", [
    (lambda: Lifetime("weibul", shape=1, scale=2), "did you mean 'weibull'"),
    (lambda: Lifetime("normal", mean=-3, std=1), "mean = -3"),
    (lambda: Lifetime("normal", mean=3, std=-1), "std = -1"),
    (lambda: Lifetime("lognormal", mean=3, std=0), "std = 0"),
    (lambda: Lifetime("weibull", shape=0, scale=2), "shape = 0"),
    (lambda: Lifetime("weibull", shape=1, scale=float("nan")), "must be finite"),
    (lambda: Lifetime("fixed", mean=2, std=1), "unknown std"),
    (lambda: Lifetime("normal", mean=2), "missing std"),
])
def test_impossible_lifetimes_are_refused(make, words):
    with pytest.raises(ModelError, match=words):
        make()


def test_bad_series_are_refused_by_name_and_origin():
    life = Lifetime("fixed", mean=2, origin="case.toml:12")
    with pytest.raises(ModelError, match=r"cars: 2 values for 3 periods \(shorter"):
        inflow_driven([1, 2], life, periods=[2020, 2021, 2022], name="cars")
    with pytest.raises(ModelError, match=r"cars: inflow: value -1 in period 2"):
        inflow_driven([1, -1], life, name="cars")
    with pytest.raises(ModelError, match="not finite"):
        inflow_driven([1, float("inf")], life, name="cars")
    with pytest.raises(ModelError, match="age 0.5 must be a whole number"):
        inflow_driven([1], life, initial={0.5: 3}, name="cars")
    with pytest.raises(StockError, match="initial stock of age 3 .* cannot still be in stock"):
        inflow_driven([1], life, initial={3: 1}, name="cars")
    with pytest.raises(StockError, match="in period 1 the stock of 1 is below"):
        stock_driven([10, 1], life, name="cars")


def test_a_stock_driven_model_whose_cohorts_last_as_long_as_what_is_built():
    """A capacity of 10 held from the second period: the first unit lasts 3 periods, its
    replacement 2 (another technology), the next 3 again. The lifetimes are asked for only
    when something must enter, in period order, and the result equals stock_driven with the
    lifetimes chosen."""
    asked = []

    def lifetime_of(t):
        asked.append(t)
        return Lifetime("fixed", mean=2 if t == 4 else 3)

    target = [0, 10, 10, 10, 10, 10, 10, 10]
    m = stock_driven_as_built(target, lifetime_of, periods=list(range(2020, 2028)))
    assert asked == [1, 4, 6]
    assert list(m.inflow) == [0, 10, 0, 0, 10, 0, 10, 0]
    assert list(m.outflow) == [0, 0, 0, 0, 10, 0, 10, 0]          # the retirements
    per = [Lifetime("fixed", mean=2 if t == 4 else 3) for t in range(8)]
    ref = stock_driven(target, per, periods=list(range(2020, 2028)))
    np.testing.assert_array_equal(m.stock_by_cohort, ref.stock_by_cohort)
    np.testing.assert_array_equal(m.outflow_by_cohort, ref.outflow_by_cohort)
    # with smooth lifetimes too (not only whole cohorts leaving)
    w = [Lifetime("weibull", shape=2, scale=3 + t) for t in range(8)]
    smooth = stock_driven_as_built([5, 6, 6, 8, 8, 9, 9, 9], lambda t: w[t])
    np.testing.assert_allclose(smooth.inflow, stock_driven([5, 6, 6, 8, 8, 9, 9, 9], w).inflow,
                               rtol=1e-13)


def test_a_stock_driven_model_as_built_refuses_bad_lifetimes_by_name():
    with pytest.raises(ModelError, match=r"slot: the lifetime of the cohort of period 0 is 3"):
        stock_driven_as_built([1, 1], lambda t: 3, name="slot")
    with pytest.raises(StockError, match=r"slot: in period 0 nothing that enters stays"):
        stock_driven_as_built([1, 1], lambda t: Lifetime("fixed", mean=0), name="slot")
    with pytest.raises(StockError, match=r"slot: in period 1 the stock of 0 is below"):
        stock_driven_as_built([1, 0], lambda t: Lifetime("fixed", mean=5), name="slot")
