"""The `symbiosis` plugin: `flowgraph symbiosis CASE --out DIR` and the [symbiosis] section
of `flowgraph run`, plus figure functions for case files."""

from __future__ import annotations

from ..base import Option, Plugin
from .allocation import OBJECTIVES
from .finn import finn_cycling_index
from .ghg import park_ghg
from .metrics import actors, connectance, cyclicity, link_density, links
from .sections import PARAMETER_TABLES, symbiosis_report


class SymbiosisPlugin(Plugin):
    """Industrial parks: candidate links, network analysis, park GHG, mitigation scenarios."""

    name = "symbiosis"
    section = "symbiosis"
    summary = ("industrial park: network metrics, Finn cycling, removal analysis, candidate "
               "links and their optimal allocation, park GHG by scope, energy mitigation "
               "scenarios (CSV, JSON, HTML)")
    example = ("examples:\n  flowgraph symbiosis cases/kalundborg --out out/kalundborg\n"
               "  flowgraph symbiosis cases/eip_energy --out out/eip_energy\n"
               "  flowgraph symbiosis cases/kalundborg --max-distance-km 62.6 --objective co2")
    options = (
        Option("max_distance_km", float, None,
               "distance limit of candidate links (default: the case's max_distance_km, else "
               "32.6 km, the NISP median)"),
        Option("objective", str, "benefit", "what the allocation maximises",
               choices=OBJECTIVES),
        Option("co2_price", float, 0.0, "CNY per t CO2e added to the benefit of avoided CO2"),
        Option("catalogue", str, None, "the case's own substitution catalogue (CSV, relative "
               "to the case folder; default: the shipped one)", cli=False),
        Option("what_if", list, (), "scenarios in which firms join the park: candidate links "
               "involving the new firms, their allocation and the network after", cli=False),
        *(Option(key, dict, None, f"[{key}] of symbiosis_parameters.toml laid over the "
                 f"shipped values", cli=False, data=True) for key in PARAMETER_TABLES),
        Option("energy", dict, None, "the park's energy infrastructure: data of the vintage "
               "model, [[measure]], [[policy]] and [[combination]] tables", cli=False,
               data=True),
    )

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False):
        """The report on `case` (or one scenario of it); the same whether embedded or not."""
        return symbiosis_report(case, options, scenario)

    def figure_functions(self, case, result) -> dict:
        """Functions case figures may call: actors(), links(), connectance(directed=1),
        link_density(), cyclicity(), finn_cycling_index(layer), park_ghg(key)."""
        def ghg(key="total"):
            return park_ghg(result).totals[key]

        return {"actors": lambda: actors(result), "links": lambda: links(result),
                "connectance": lambda directed=1: connectance(result, bool(directed)),
                "link_density": lambda: link_density(result),
                "cyclicity": lambda: cyclicity(result),
                "finn_cycling_index": lambda layer="mass": finn_cycling_index(result, layer),
                "park_ghg": ghg}


plugin = SymbiosisPlugin()
