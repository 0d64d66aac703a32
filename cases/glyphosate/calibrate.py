"""Calibrate the four knobs of the glyphosate case (calibration.toml) and write the prices.

    python cases/glyphosate/calibrate.py           # solve and rewrite the calibrated prices
    python cases/glyphosate/calibrate.py --check   # exit 1 if case.toml is not calibrated

A calibrated price is a line `price = P  # calibrated: KNOB x LIST` (or `# calibrated: KNOB`,
LIST = 1) in case.toml; P = knob x LIST. The model's totals (aggregates of the evaluation
plugin, in 万元) are linear in the knobs: they are evaluated at k = 0 and at each unit
vector, and J k = published - T(0) is solved.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import flowgraph as fg
from flowgraph.plugins.evaluation import AggregateValues, load_config

HERE = Path(__file__).resolve().parent
LINE = re.compile(r"^(\s*price\s*=\s*)([-+0-9.eE]+)(\s*#\s*calibrated:\s*([A-Za-z_]+)"
                  r"(?:\s*x\s*([0-9.eE+-]+))?.*)$", re.M)


def knobs() -> list[dict]:
    return tomllib.loads((HERE / "calibration.toml").read_text(encoding="utf-8"))["knob"]


def with_knobs(text: str, k: dict) -> str:
    """case.toml text with every calibrated price set to knob x list price."""
    def sub(m):
        price = k[m.group(4)] * float(m.group(5) or 1.0)
        return f"{m.group(1)}{round(float(price), 2)!r}{m.group(3)}"
    return LINE.sub(sub, text)


def totals(text: str, spec: list[dict]) -> np.ndarray:
    """The knobs' target aggregates (万元) of the case written as `text`."""
    with tempfile.TemporaryDirectory() as tmp:
        for f in HERE.iterdir():
            if f.suffix == ".toml":
                shutil.copy(f, tmp)
        Path(tmp, "case.toml").write_text(text, encoding="utf-8")
        case = fg.load(tmp)
        aggs = load_config(case).aggregates
        out = []
        for knob in spec:
            t = knob["target"]
            scenario = None if t["scenario"] == "base" else t["scenario"]
            values = AggregateValues(case.result(scenario), aggs)
            out.append(values[t["aggregate"]] / 1e4)
        return np.array(out)


def solve(text: str, spec: list[dict]) -> dict:
    names = [kn["name"] for kn in spec]
    zero = {n: 0.0 for n in names}
    t0 = totals(with_knobs(text, zero), spec)
    J = np.column_stack([totals(with_knobs(text, {**zero, n: 1.0}), spec) - t0 for n in names])
    target = np.array([kn["target"]["published"] for kn in spec], dtype=float)
    k = np.linalg.solve(J, target - t0)
    return dict(zip(names, k))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check case.toml")
    args = ap.parse_args(argv)
    path = HERE / "case.toml"
    text = path.read_text(encoding="utf-8")
    spec = knobs()
    k = solve(text, spec)
    for kn in spec:
        print(f"{kn['name']:>18} = {k[kn['name']]:.6g}   ({kn['description']})")
    new = with_knobs(text, k)
    reached = totals(new, spec)
    for kn, v in zip(spec, reached):
        t = kn["target"]
        print(f"  {t['aggregate']} [{t['scenario']}] = {v:,.2f} 万元 (published {t['published']:,})")
    if args.check:
        if new != text:
            print("case.toml is not calibrated: run calibrate.py", file=sys.stderr)
            return 1
        print("case.toml is calibrated")
        return 0
    path.write_text(new, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
