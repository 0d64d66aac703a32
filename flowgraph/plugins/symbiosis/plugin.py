"""The `symbiosis` plugin: `flowgraph symbiosis CASE --out DIR` and the [symbiosis] section
of `flowgraph run`, plus figure functions for case files."""

from __future__ import annotations

from .finn import finn_cycling_index
from .ghg import park_ghg
from .metrics import actors, connectance, cyclicity, link_density, links
from .sections import symbiosis_report


class SymbiosisPlugin:
    """Industrial parks: candidate links, network analysis, park GHG, mitigation scenarios."""

    name = "symbiosis"
    section = "symbiosis"
    summary = ("industrial park: network metrics, Finn cycling, removal analysis, candidate "
               "links and their optimal allocation, park GHG by scope, energy mitigation "
               "scenarios (CSV, JSON, HTML)")
    example = ("examples:\n  flowgraph symbiosis cases/kalundborg --out out/kalundborg\n"
               "  flowgraph symbiosis cases/eip_energy --out out/eip_energy\n"
               "  flowgraph symbiosis cases/kalundborg --max-distance-km 62.6 --objective co2")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scenario", help="analyse this scenario of the case")
        parser.add_argument("--max-distance-km", type=float, dest="max_distance_km",
                            help="distance limit of candidate links (default: the case's "
                                 "max_distance_km, else 32.6 km, the NISP median)")
        parser.add_argument("--objective", choices=("benefit", "co2"),
                            help="what the allocation maximises (default benefit)")
        parser.add_argument("--co2-price", type=float, dest="co2_price",
                            help="CNY per t CO2e added to the benefit of avoided CO2")

    def run(self, case, scenario=None, **options):
        """The report on `case` (a Case, or a Network loaded from a case folder)."""
        case = getattr(case, "case", None) or case
        return symbiosis_report(case, scenario, **{k: v for k, v in options.items()
                                                   if k in ("max_distance_km", "objective",
                                                            "co2_price")})

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
