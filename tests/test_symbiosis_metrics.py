"""Network metrics of the symbiosis plugin on small parks whose values are known by hand."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym
from flowgraph.solvers.conservation import assert_conserved


def small_park():
    """Firms A (two nodes), B, C, D and a shared utility u; links A->B (two exchanges),
    B->A, B->C, C->A, A->D, u->B; a source and a sink (the environment)."""
    net = fg.Network("small park")
    net.add_node("src", kind="source")
    net.add_node("snk", kind="sink")
    for n, firm in (("a1", "A"), ("a2", "A"), ("b", "B"), ("c", "C"), ("d", "D")):
        net.add_node(n, firm=firm, layers=[])
    net.add_node("u", kind="utility")
    q = {"quantity": 1.0, "unit": "t"}
    net.add_flow("src", "a1", "ore", **q)
    net.add_flow("a1", "a2", "mid", **q)          # inside firm A: no link
    net.add_flow("a2", "b", "x", **q)
    net.add_flow("a2", "b", "y", **q)             # second exchange A->B: still one link
    net.add_flow("b", "a1", "z", **q)
    net.add_flow("b", "c", "x", **q)
    net.add_flow("c", "a1", "x", **q)
    net.add_flow("a2", "d", "x", **q)
    net.add_flow("u", "b", "steam", **q)
    net.add_flow("d", "snk", "x", **q)
    return net


def test_counts_and_connectance_by_hand():
    r = small_park().solve()
    # actors: A, B, C, D, u (source and sink are the environment)
    assert sym.actors(r) == 5
    # links: A->B, B->A, B->C, C->A, A->D, u->B
    assert sym.links(r) == 6
    assert sym.exchanges(r) == 7
    assert sym.link_density(r) == pytest.approx(6 / 5)
    assert sym.connectance(r) == pytest.approx(6 / 25)
    # unordered pairs {A,B}, {B,C}, {C,A}, {A,D}, {u,B}: 2*5 / (5*4)
    assert sym.connectance(r, directed=False) == pytest.approx(0.5)


def test_degree_keystone_cycles_and_cyclicity():
    r = small_park().solve()
    c = sym.centrality(r)
    assert c["degree"].to_dict() == {"A": 4, "B": 4, "C": 2, "D": 1, "u": 1}
    # mean degree 2.4, sd sqrt(1.84) = 1.356: A and B are at least mean + 1 sd
    assert sym.keystone_firms(r) == ["A", "B"] or sym.keystone_firms(r) == ["B", "A"]
    cyc = {tuple(sorted(x)) for x in sym.cycles(r)}
    assert cyc == {("A", "B"), ("A", "B", "C")}
    # cycles of length 2 (A-B) and 3 (A-B-C) through A and B: det(lambda I - M) =
    # lambda^3 - lambda - 1, whose real root is the plastic number 1.324718
    plastic = ((9 + math.sqrt(69)) / 18) ** (1 / 3) + ((9 - math.sqrt(69)) / 18) ** (1 / 3)
    assert sym.cyclicity(r) == pytest.approx(plastic, rel=1e-9)


def test_betweenness_of_a_chain():
    net = fg.Network("chain")
    for n in "XYZ":
        net.add_node(n, layers=[])
    net.add_flow("X", "Y", "m", quantity=1.0)
    net.add_flow("Y", "Z", "m", quantity=1.0)
    c = sym.centrality(net.solve())
    # one path X->Z of the (3-1)(3-2) = 2 ordered pairs of other actors runs through Y
    assert c.loc["Y", "betweenness"] == pytest.approx(0.5)
    assert c.loc["X", "betweenness"] == 0.0
    assert c.loc["Y", "degree_centrality"] == pytest.approx(1.0)
    assert sym.cyclicity(net.solve()) == pytest.approx(0.0)


def two_compartments(a: float, b: float, same_firm: bool = False):
    net = fg.Network("two compartments")
    net.add_node("src", kind="source")
    net.add_node("out", kind="sink")
    net.add_node("A", firm="F" if same_firm else None)
    net.add_node("B", firm="F" if same_firm else None)
    net.add_flow("src", "A", "m", quantity=100.0)
    net.add_flow("A", "B", "m", share=a, id="AB")
    net.add_flow("A", "out", "m", role="loss")
    net.add_flow("B", "A", "m", share=b, id="BA", role="recycle")
    net.add_flow("B", "out", "m", role="loss")
    return net


def test_finn_two_compartment_cycle_by_hand():
    a, b = 0.5, 0.4
    r = two_compartments(a, b).solve()
    assert_conserved(r)
    f = sym.finn(r)
    # T_A = 100 / (1 - ab) = 125, T_B = a T_A = 62.5; n_AA = n_BB = 1 / (1 - ab);
    # each cycles (n - 1) / n = ab of its throughflow, so FCI = ab
    assert f.compartments.loc["A", "throughflow"] == pytest.approx(125.0)
    assert f.compartments.loc["B", "throughflow"] == pytest.approx(62.5)
    assert f.compartments.loc["A", "n_ii"] == pytest.approx(1 / (1 - a * b))
    assert sym.finn_cycling_index(r) == pytest.approx(a * b)
    assert f.tst == pytest.approx(187.5)
    assert f.cycled == pytest.approx(0.2 * 187.5)


def test_finn_three_compartment_cycle_and_chain():
    net = fg.Network("ring")
    net.add_node("src", kind="source")
    net.add_node("out", kind="sink")
    for n in "ABC":
        net.add_node(n)
        net.add_flow(n, "out", "m", role="loss")
    net.add_flow("src", "A", "m", quantity=10.0)
    net.add_flow("A", "B", "m", share=0.5)
    net.add_flow("B", "C", "m", share=0.6)
    net.add_flow("C", "A", "m", share=0.5)
    assert sym.finn_cycling_index(net.solve()) == pytest.approx(0.5 * 0.6 * 0.5)
    chain = fg.Network("chain")
    chain.add_node("src", kind="source")
    chain.add_node("A")
    chain.add_node("B")
    chain.add_node("out", kind="sink")
    chain.add_flow("src", "A", "m", quantity=1.0)
    chain.add_flow("A", "B", "m")
    chain.add_flow("B", "out", "m")
    assert sym.finn_cycling_index(chain.solve()) == 0.0


def test_finn_firm_level_ignores_flows_inside_a_firm():
    r = two_compartments(0.5, 0.4, same_firm=True).solve()
    assert sym.finn_cycling_index(r) == 0.0              # one compartment: nothing cycles
    assert sym.finn_cycling_index(r, level="node") == pytest.approx(0.2)


def test_finn_counts_unknown_flows_as_zero_and_says_so():
    net = fg.Network("partial")
    net.add_node("A", layers=[])
    net.add_node("B", layers=[])
    net.add_flow("A", "B", "m", quantity=10.0)
    net.add_flow("B", "A", "m")                           # unknown: the return leg
    r = net.solve(strict=False)
    f = sym.finn(r)
    assert f.index == 0.0 and f.unknown_flows == 1


def test_finn_closed_loop_is_an_error():
    """A loop with no exchange with the environment cycles for ever: N does not exist. (A
    network like that cannot be solved in the first place; the guard is for the matrix.)"""
    from flowgraph.plugins.symbiosis.finn import _structure_diagonal
    F = sp.csr_matrix(np.array([[0.0, 100.0], [100.0, 0.0]]))
    with pytest.raises(fg.SingularError, match="closed loop"):
        _structure_diagonal(F, np.array([100.0, 100.0]), ["A", "B"])


def test_metrics_agree_with_networkx_on_a_random_park():
    rng = np.random.default_rng(7)
    net = fg.Network("random park")
    n = 12
    for i in range(n):
        net.add_node(f"n{i}", firm=f"F{i % 8}", layers=[])
    g = nx.DiGraph()
    for i in range(n):
        for j in rng.choice(n, size=3, replace=False):
            if j != i:
                net.add_flow(f"n{i}", f"n{j}", f"c{i}", quantity=float(rng.uniform(1, 9)))
                if i % 8 != j % 8:
                    g.add_edge(f"F{i % 8}", f"F{j % 8}")
    r = net.solve()
    assert sym.actors(r) == 8
    assert sym.links(r) == g.number_of_edges()
    lam = max(abs(np.linalg.eigvals(nx.to_numpy_array(g, nodelist=sorted(g.nodes)))))
    assert sym.cyclicity(r) == pytest.approx(lam)
