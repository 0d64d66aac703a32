"""The wastewater discharge fee (external damage cost) by hand, and the paper's Table 1."""

import math

import pytest

import flowgraph as fg
from flowgraph.methods.discharge_fee import (
    ph_equivalent_value,
    pollutant_id,
    schedule,
    wastewater_fee,
)


def test_hand_example_with_over_standard_and_an_unrated_pollutant():
    # 10,000 t: loads COD 1500 kg, SS 3000 kg, NH3-N 400 kg, petroleum 40 kg, Pb 5 kg, Fe 200 kg
    r = wastewater_fee(10_000, {"COD": 150, "SS": 300, "ammonia nitrogen": 40, "石油类": 4,
                                "Pb": 0.5, "iron": 20}, standards={"COD": 100, "SS": 400})
    t = r.table
    assert t.at["COD", "equivalents"] == pytest.approx(1500)      # /1 kg
    assert t.at["SS", "equivalents"] == pytest.approx(750)        # /4 kg
    assert t.at["ammonia nitrogen", "equivalents"] == pytest.approx(500)   # /0.8 kg
    assert t.at["石油类", "equivalents"] == pytest.approx(400)     # /0.1 kg
    assert t.at["Pb", "equivalents"] == pytest.approx(200)        # /0.025 kg
    # the three largest are charged; COD is over its standard and counts double
    assert list(t.index[t["counted"]]) == ["COD", "SS", "ammonia nitrogen"]
    assert r.fee == pytest.approx(0.7 * (2 * 1500 + 750 + 500))
    # iron has no equivalent value: reported with its load, not dropped, not charged
    assert r.unrated == ["iron"]
    assert t.at["iron", "load_kg"] == pytest.approx(200)
    assert math.isnan(t.at["iron", "equivalents"]) and t.at["iron", "fee"] == 0
    assert "no equivalent value" in t.at["iron", "reason"]


def test_the_papers_table_1():
    r = wastewater_fee(299_600, {"COD": 200, "氨氮": 755, "iron ions": 800})
    assert r.table.at["COD", "load_kg"] == pytest.approx(59_920)
    assert r.table.at["氨氮", "load_kg"] == pytest.approx(226_198)
    assert r.table.at["氨氮", "equivalents"] == pytest.approx(282_747.5)
    assert r.table.at["iron ions", "load_kg"] == pytest.approx(239_680)
    assert r.fee / 1e4 == pytest.approx(23.99, abs=0.005)
    assert r.unrated == ["iron ions"]


def test_only_one_of_cod_bod_toc_and_rate_option():
    r = wastewater_fee(1000, {"COD": 100, "BOD5": 80})      # 100 vs 160 equivalents
    assert list(r.table.index[r.table["counted"]]) == ["BOD5"]
    assert "only one" in r.table.at["COD", "reason"]
    assert wastewater_fee(1000, {"BOD5": 80}, rate=1.4).fee == pytest.approx(1.4 * 160)


def test_ph_colour_and_coliforms_only_when_over():
    assert ph_equivalent_value(7.5) is None
    assert ph_equivalent_value(4.5) == 1 and ph_equivalent_value(5) == 5
    assert ph_equivalent_value(9.5) == 1 and ph_equivalent_value(13.5) == 0.06
    r = wastewater_fee(1000, {"pH": 4.5, "colour": 2, "coliforms": 5000, "COD": 10},
                       standards={"coliforms": 10_000})
    t = r.table
    assert t.at["pH", "equivalents"] == pytest.approx(1000)       # 1000 t / 1 t per eq
    assert t.at["colour", "equivalents"] == pytest.approx(1000 * 2 / 5)
    assert not t.at["coliforms", "chargeable"]                    # under its standard
    # pH and colour are charged because they are over; their band prices that, no doubling
    assert r.fee == pytest.approx(0.7 * (1000 + 400 + 10))


def test_schedule_names_its_source_and_covers_the_required_pollutants():
    s = schedule()
    for name in ("COD", "BOD5", "氨氮", "SS", "总磷", "石油类", "挥发酚", "硫化物", "总汞", "总镉",
                 "六价铬", "总砷", "总铅", "总镍"):
        assert pollutant_id(name) in s.index
    assert s["source"].str.contains("排污费征收标准管理办法").all()


def test_fee_errors_name_the_pollutant_and_outlet():
    with pytest.raises(fg.ModelError, match="outlet 2: concentration of 'COD' is -5"):
        wastewater_fee(10, {"COD": -5}, where="outlet 2")
    with pytest.raises(fg.ModelError, match="volume"):
        wastewater_fee(-1, {"COD": 5})
    with pytest.raises(fg.ModelError, match="'NH3N' is 'high', not a number"):
        wastewater_fee(10, {"NH3N": "high"})
