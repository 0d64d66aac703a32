"""Hypothesis strategies for the laws (tests/test_laws.py): valid networks with every feature.

A generated network is a `NetworkSpec`, the list of calls that builds it, so that a test can
build the same network scaled, in another order, or perturbed. Valid means solvable with every
flow >= 0 by construction:

- every process node passes shares of its mass inflow on (to other processes, the silo, the
  separator, the market) summing to < 1 and loses the one remaining output (unknown) to a
  sink; its own stock change is at most 90 % of what its direct feed leaves after the shares
  (so the loss stays positive whatever the loops bring), or a drawdown;
- mass recipes tied to a node's own outputs add at most half of what the node keeps, so the
  node-level matrix stays substochastic (its inverse is non-negative);
- the boiler (a utility closing energy) passes shares of its energy on as steam and loses the
  rest as heat; processes closing energy lose what they receive as waste heat;
- the separator closes mass and chlorine: chlorine (97 % Cl) and residue (no Cl) are both
  unknown; its inputs hold at most 50 % Cl and its vapour share is below 45 %, so both stay
  positive (Cl/0.97 <= 0.515 of the mass that is left, which is >= 55 % of its inflow);
- the silo (storage) is fed a known quantity and keeps at most 90 % of it, or releases stock.

Every allocation rule appears: mass, energy (boiler, processes closing energy), value (prices
on every output), fixed (allocation_share on every output) and an element key (Cl).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import flowgraph as fg

#: weight of one carrier unit in each layer, by the spec's own arithmetic (independent of the
#: library): material in t counts 1 t/t in mass; energy content in GJ per unit
GJ_PER_KWH = 0.0036


@dataclass
class NetworkSpec:
    """The calls that build a network: add_carrier, add_node and add_flow keyword arguments,
    and each carrier's weight per unit in each layer (for independent balance checks)."""

    carriers: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    flows: list[dict] = field(default_factory=list)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    name: str = "generated"

    def build(self) -> fg.Network:
        """The network, built with the public API in the spec's order."""
        net = fg.Network(self.name)
        for c in self.carriers:
            c = dict(c)
            net.add_carrier(c.pop("name"), c.pop("kind"), c.pop("unit"), **copy.deepcopy(c))
        for n in self.nodes:
            n = dict(n)
            net.add_node(n.pop("id"), n.pop("kind", "process"), **copy.deepcopy(n))
        for f in self.flows:
            f = dict(f)
            net.add_flow(f.pop("source"), f.pop("target"), f.pop("carrier"), **copy.deepcopy(f))
        return net

    def scaled(self, k: float) -> NetworkSpec:
        """Every known quantity, stock change and node cost (own CO2 and coal too) times k;
        shares, recipe ratios, prices and factors unchanged."""
        out = copy.deepcopy(self)
        for f in out.flows:
            if f.get("quantity") is not None:
                f["quantity"] *= k
        for n in out.nodes:
            if "costs" in n:
                n["costs"] = {c: v * k for c, v in n["costs"].items()}
            for key in ("co2", "tce"):
                if key in n:
                    n[key] *= k
            if "stock" in n:
                n["stock"] = {lay: v * k for lay, v in n["stock"].items()}
        return out

    def shuffled(self, rnd) -> NetworkSpec:
        """The same network declared in another order (carriers, nodes, flows)."""
        out = copy.deepcopy(self)
        for part in (out.carriers, out.nodes, out.flows):
            rnd.shuffle(part)
        return out

    def flow(self, id) -> dict:
        return next(f for f in self.flows if f["id"] == id)

    def node(self, id) -> dict:
        return next(n for n in self.nodes if n["id"] == id)

    def closed_layers(self, node: dict) -> list[str]:
        kind = node.get("kind", "process")
        default = ["mass"] if kind in ("process", "storage") else []
        return list(node.get("layers", default))


ALLOCATIONS = ("mass", "value", "fixed")


@st.composite
def network_specs(draw, max_nodes: int = 6, process_stock: bool | None = None) -> NetworkSpec:
    """A valid network (see the module docstring) as a NetworkSpec. process_stock: stock
    changes at process nodes always (True), never (False) or drawn (None)."""
    n = draw(st.integers(1, max_nodes))
    features = {k: draw(st.booleans()) for k in
                ("boiler", "separator", "silo", "chlorinated", "recipes", "sales")}
    features["process_stock"] = draw(st.booleans()) if process_stock is None else process_stock
    allocation = [draw(st.sampled_from(ALLOCATIONS + (("Cl",) if features["chlorinated"]
                                                      else ()) + ("energy",)))
                  for _ in range(n)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return _Builder(n, features, allocation, rng).spec


def valid_networks(max_nodes: int = 6, process_stock: bool | None = None):
    """Valid networks (fg.Network) with every feature; see network_specs."""
    return network_specs(max_nodes, process_stock).map(NetworkSpec.build)


class _Builder:
    """Draws the numbers of one network from `rng` for the structure already drawn."""

    def __init__(self, n, features, allocation, rng):
        self.n, self.f, self.rng = n, features, rng
        self.spec = s = NetworkSpec()
        self.cl_m = float(rng.uniform(0.05, 0.5)) if features["chlorinated"] else 0.0
        self._carriers()
        for node in ("src", "grid"):
            s.nodes.append({"id": node, "kind": "source"})
        for node in ("sink", "market", "air"):
            s.nodes.append({"id": node, "kind": "sink"})
        # processes closing energy: allocation 'energy' needs outputs carrying energy
        self.energy_node = [a == "energy" or rng.random() < 0.25 for a in allocation]
        self.alloc = allocation
        self.outputs: dict[str, list[dict]] = {}
        self._processes()
        if features["silo"]:
            self._silo()
        if features["separator"]:
            self._separator()
        if features["boiler"]:
            self._boiler()
        self._loop_shares()
        if features["recipes"]:
            self._recipes()
        self._stocks()
        self._fixed_shares()

    # -- carriers --------------------------------------------------------------------------
    def _carrier(self, name, kind, unit, weights, **factors):
        self.spec.carriers.append({"name": name, "kind": kind, "unit": unit, **factors})
        self.spec.weights[name] = weights

    def _carriers(self):
        r = self.rng
        m = {"mass": 1.0}
        comp = {}
        if self.cl_m:
            comp = {"composition": {"Cl": self.cl_m}}
            m = {"mass": 1.0, "Cl": self.cl_m}
        self._carrier("m", "material", "t", m, price=_r(r, 1, 50), **comp)
        self._carrier("reagent", "material", "t", {"mass": 1.0}, price=_r(r, 1, 20))
        self._carrier("electricity", "energy", "kWh", {"energy": GJ_PER_KWH}, price=0.7,
                      tce="0.1229 kgce/kWh", co2=0.0003)
        self._carrier("heat", "energy", "GJ", {"energy": 1.0}, price=1.0)
        if self.f["boiler"]:
            self._carrier("gas", "energy", "m3", {"energy": 0.0359}, price=2.5,
                          energy_content="0.0359 GJ/m3", co2=0.00195, tce="1.2143 kgce/m3")
            self._carrier("steam", "energy", "t", {"energy": 2.76}, price=180,
                          energy_content="2.76 GJ/t")
        if self.f["separator"]:
            cl = _r(r, 0.1, 0.5)
            self._carrier("brine", "material", "t", {"mass": 1.0, "Cl": cl}, price=_r(r, 1, 10),
                          composition={"Cl": cl})
            self._carrier("chlorine", "material", "t", {"mass": 1.0, "Cl": 0.97}, price=100.0,
                          composition={"Cl": 0.97})
            self._carrier("residue", "material", "t", {"mass": 1.0}, price=5.0)
            self._carrier("vapour", "material", "t", {"mass": 1.0})

    # -- nodes and flows -------------------------------------------------------------------
    def _node(self, id, kind="process", **attrs):
        self.spec.nodes.append({"id": id, "kind": kind, **attrs})
        self.outputs[id] = []

    def _flow(self, source, target, carrier, id, **attrs):
        rec = {"source": source, "target": target, "carrier": carrier, "id": id, **attrs}
        self.spec.flows.append(rec)
        if source in self.outputs:
            self.outputs[source].append(rec)
        return rec

    def _costs(self):
        r = self.rng
        costs = {"system": _r(r, 0, 1000)}
        if r.random() < 0.5:
            costs["waste_management"] = _r(r, 0, 300)
        return costs

    def _processes(self):
        r = self.rng
        self.feed = {}
        fed = r.random(self.n) < 0.6
        fed[0] = True
        for i in range(self.n):
            p = f"p{i}"
            layers = ["mass", "energy"] if self.energy_node[i] else ["mass"]
            attrs = {"costs": self._costs(), "allocation": self.alloc[i]}
            if layers != ["mass"]:
                attrs["layers"] = layers
            if r.random() < 0.3:
                attrs["co2"] = _r(r, 0, 5)
            self._node(p, **attrs)
            if fed[i]:
                self.feed[p] = _r(r, 1, 100)
                self._flow("src", p, "m", f"feed{i}", quantity=self.feed[p],
                           **({"price": _r(r, 1, 50)} if r.random() < 0.3 else {}))
            if self.energy_node[i] or r.random() < 0.5:   # energy layer needs an inflow
                self._flow("grid", p, "electricity", f"power{i}", quantity=_r(r, 10, 1000))
            if self.energy_node[i]:
                self._flow(p, "air", "heat", f"heat{i}", role="loss")

    def _silo(self):
        r = self.rng
        q = _r(r, 10, 100)
        self._node("silo", "storage")
        self.feed["silo"] = q
        self._flow("src", "silo", "m", "silo feed", quantity=q)
        self._flow("silo", f"p{int(r.integers(self.n))}", "m", "silo out")

    def _separator(self):
        r = self.rng
        alloc = str(r.choice(["Cl", "mass", "value", "fixed"]))
        costs = self._costs() if alloc != "Cl" else {"system": _r(r, 0, 1000)}
        self._node("sep", layers=["mass", "Cl"], allocation=alloc, costs=costs)
        self._flow("src", "sep", "brine", "brine", quantity=_r(r, 10, 100))
        self._flow("sep", "air", "vapour", "vapour", share=_r(r, 0, 0.45), role="emission")
        self._flow("sep", "market", "chlorine", "chlorine")
        self._flow("sep", "sink", "residue", "residue", role="waste")

    def _boiler(self):
        r = self.rng
        alloc = str(r.choice(["energy", "fixed", "value"]))
        self._node("boiler", "utility", layers=["energy"], allocation=alloc,
                   costs=self._costs())
        self._flow("grid", "boiler", "gas", "gas", quantity=_r(r, 1e3, 1e5))
        k = int(r.integers(1, self.n + 1))
        shares = r.dirichlet(np.ones(k)) * r.uniform(0.3, 0.9)
        for t, s in zip(r.choice(self.n, size=k, replace=False), shares):
            self._flow("boiler", f"p{t}", "steam", f"steam p{t}", share=float(s))
        self._flow("boiler", "air", "heat", "boiler heat", role="loss")

    def _loop_shares(self):
        """Shares of each process's mass inflow to other processes, the silo, the separator
        and the market, summing to < 1; the remaining output is an unknown loss."""
        r, n = self.rng, self.n
        targets_all = [f"p{i}" for i in range(n)]
        extra = [t for t, on in (("silo", self.f["silo"]), ("sep", self.f["separator"]),
                                 ("market", self.f["sales"])) if on]
        self.passed = {}
        for i in range(n):
            pool = targets_all + extra
            k = int(r.integers(1, min(3, len(pool)) + 1))
            chosen = list(r.choice(len(pool), size=k, replace=False))
            if i + 1 < n and i + 1 not in chosen:          # a chain through all processes
                chosen[0] = i + 1
            shares = r.dirichlet(np.ones(k)) * r.uniform(0.2, 0.95)
            self.passed[f"p{i}"] = float(shares.sum())
            for t, s in zip(chosen, shares):
                target = pool[t]
                role = "recycle" if target.startswith("p") and int(target[1:]) <= i else "product"
                extra_attrs = {"price": _r(r, 50, 200)} if target == "market" else {}
                self._flow(f"p{i}", target, "m", f"p{i}>{target}", share=float(s), role=role,
                           **extra_attrs)
            self._flow(f"p{i}", "sink", "m", f"loss{i}", role="loss")

    def _recipes(self):
        """Electricity per a node's output; reagent per a feed (and additive per reagent);
        reagent per a node's share output, adding at most half of what the node keeps."""
        r = self.rng
        for i in range(self.n):
            p = f"p{i}"
            outs = [f for f in self.outputs[p] if f["carrier"] == "m"]
            if not any(f["id"] == f"power{i}" for f in self.spec.flows) and r.random() < 0.7:
                self._flow("grid", p, "electricity", f"power{i}",
                           per=(str(r.choice([f["id"] for f in outs])), _r(r, 1, 100)))
            if p in self.feed and r.random() < 0.5:
                self._flow("src", p, "reagent", f"reagent{i}", per=(f"feed{i}", _r(r, 0, 1)))
                if r.random() < 0.5:
                    self._flow("src", p, "reagent", f"additive{i}",
                               per=(f"reagent{i}", _r(r, 0, 0.5)))
            shared = [f for f in outs if f.get("share")]
            if shared and r.random() < 0.5:
                f = shared[int(r.integers(len(shared)))]
                t = f"p{int(r.integers(self.n))}"
                limit = 0.5 * (1 - self.passed[p]) / f["share"]
                self._flow("src", t, "reagent", f"tied reagent {p}>{t}",
                           per=(f["id"], _r(r, 0, limit)))

    def _stocks(self):
        r = self.rng
        if self.f["silo"]:
            q = self.feed["silo"]
            self.spec.node("silo")["stock"] = {"mass": _r(r, -0.5 * q, 0.9 * q)}
        if not self.f["process_stock"]:
            return
        for i in range(self.n):
            p = f"p{i}"
            if p in self.feed and (i == 0 or r.random() < 0.5):
                top = 0.9 * (1 - self.passed[p]) * self.feed[p]
                self.spec.node(p)["stock"] = {"mass": _r(r, -self.feed[p], top)}

    def _fixed_shares(self):
        for node in self.spec.nodes:
            if node.get("allocation") == "fixed":
                for f in self.outputs[node["id"]]:
                    f["allocation_share"] = _r(self.rng, 0.05, 1)


def _r(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


# -- perturbations: networks that may be invalid ---------------------------------------------

PERTURBATIONS = ("share", "stock", "known_unknown", "drop_known", "tied_recipe", "ratio",
                 "remove_flow", "huge", "tiny", "price", "allocation", "stock_layer",
                 "layers", "zero_feed", "non_finite")


@st.composite
def perturbed_specs(draw, max_nodes: int = 5) -> NetworkSpec:
    """A valid spec with one to three random changes that may make it invalid (shares over 1,
    stocks that drain a node, recipes tied downstream, magnitudes at the ends of the floats)."""
    spec = draw(network_specs(max_nodes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for what in draw(st.lists(st.sampled_from(PERTURBATIONS), min_size=1, max_size=3)):
        _perturb(spec, what, rng)
    return spec


def _perturb(spec: NetworkSpec, what: str, rng) -> None:
    flows = spec.flows
    pick = lambda items: items[int(rng.integers(len(items)))] if items else None  # noqa: E731
    procs = [n for n in spec.nodes if n["kind"] in ("process", "storage", "utility")]
    known = [f for f in flows if f.get("quantity") is not None]
    if what == "share":
        f = pick([f for f in flows if f.get("share") is not None])
        if f:
            f["share"] = float(rng.uniform(0, 1))
    elif what == "stock":
        n = pick(procs)
        n["stock"] = {"mass": float(rng.uniform(-200, 500))}
    elif what == "known_unknown":
        f = pick([f for f in flows if f.get("quantity") is None and f.get("share") is None
                  and f.get("per") is None])
        if f:
            f["quantity"] = float(rng.uniform(0, 200))
    elif what == "drop_known":
        f = pick(known)
        if f:
            f.pop("quantity")
    elif what == "tied_recipe":
        f, g = pick(flows), pick(flows)
        if f and g and f is not g:
            for k in ("quantity", "share"):
                f.pop(k, None)
            f["per"] = (g["id"], float(rng.uniform(0, 20)))
    elif what == "ratio":
        f = pick([f for f in flows if f.get("per") is not None])
        if f:
            f["per"] = (f["per"][0], float(f["per"][1] * rng.uniform(0, 50)))
    elif what == "remove_flow":
        f = pick(flows)
        if f:
            flows.remove(f)
    elif what in ("huge", "tiny"):
        f = pick(known)
        if f:
            f["quantity"] = float(10.0 ** rng.uniform(10, 308) if what == "huge"
                                  else 10.0 ** -rng.uniform(290, 320))
    elif what == "price":
        f = pick(flows)
        f["price"] = float(pick([0.0, 1e300, rng.uniform(0, 1e6)]))
    elif what == "allocation":
        n = pick(procs)
        n["allocation"] = str(pick(["mass", "energy", "value", "fixed", "Cl"]))
    elif what == "stock_layer":
        n = pick(procs)
        n["stock"] = {str(pick(["energy", "Cl", "mass"])): float(rng.uniform(-100, 100))}
    elif what == "layers":
        n = pick(procs)
        n["layers"] = list(pick([["mass"], ["energy"], ["mass", "energy"], ["Cl"],
                                 ["mass", "Cl"]]))
    elif what == "zero_feed":
        f = pick(known)
        if f:
            f["quantity"] = 0.0
    elif what == "non_finite":
        _non_finite(spec, float(pick([np.nan, np.inf, -np.inf])), rng)


def _non_finite(spec: NetworkSpec, bad: float, rng) -> None:
    """NaN or an infinity in one numeric input: a flow's quantity, share, ratio or price, a
    node's cost or stock, or a carrier's price or CO2 factor."""
    where = int(rng.integers(3))
    if where == 0:
        f = spec.flows[int(rng.integers(len(spec.flows)))]
        key = ["quantity", "share", "price", "per"][int(rng.integers(4))]
        if key == "price":
            f["price"] = bad
        elif key == "per":
            f.update(per=(f["per"][0] if f.get("per") else f["id"], bad))
        else:
            for spec_key in ("quantity", "share", "per"):
                f.pop(spec_key, None)
            f[key] = bad
    elif where == 1:
        n = spec.nodes[int(rng.integers(len(spec.nodes)))]
        if rng.random() < 0.5:
            n["costs"] = {**n.get("costs", {}), "system": bad}
        else:
            n["stock"] = {"mass": bad}
    else:
        c = spec.carriers[int(rng.integers(len(spec.carriers)))]
        c["price" if rng.random() < 0.5 else "co2"] = bad
