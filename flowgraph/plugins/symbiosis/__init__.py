"""Industrial parks and symbiosis (DOMAIN.md section 7; lecture slides doc 004).

A park is an ordinary Network whose nodes carry `firm`, `sector`, `lat` and `lon`. On a
solved Result this package gives:

- structure: `actors`, `links`, `link_density`, `connectance`, `centrality`,
  `keystone_firms`, `cycles`, `cyclicity`, `network_metrics` (metrics.py);
- cycling: `finn_cycling_index`, `finn` (finn.py);
- resilience: `resilience`, `most_critical_firm`, `removal_scenario` (resilience.py);
- candidate links: `candidates`, `supplies`, `demands` (matching.py) through the substitution
  catalogue (`load_catalogue`, data.py), and their optimal allocation `allocate`, whose
  `.scenario(result)` makes them (allocation.py);
- park GHG by scope, firm and sector: `park_ghg` (ghg.py);
- energy-infrastructure mitigation: `VintageModel` (vintage.py), `Measure` (measures.py),
  `mac_table`, `mac_figure` (mac.py).

`plugin` is the `flowgraph symbiosis` command (plugin.py; its report: sections.py,
mitigation.py, charts.py).
"""

from .allocation import Allocation, allocate, links_scenario
from .data import energy_data, load_catalogue, parameters, size_classes
from .finn import finn, finn_cycling_index
from .geo import haversine_km
from .ghg import GHGAccount, park_ghg
from .mac import mac_figure, mac_table
from .matching import candidates, demands, supplies
from .measures import Measure, Policy, parse_measures, parse_policies
from .metrics import (
    actors,
    centrality,
    connectance,
    cycles,
    cyclicity,
    exchanges,
    keystone_firms,
    link_density,
    links,
    network_metrics,
)
from .park import Park, park
from .plugin import SymbiosisPlugin, plugin
from .resilience import most_critical_firm, removal_scenario, resilience
from .vintage import Pathway, VintageModel, units_from_network

__all__ = [
    "Allocation", "GHGAccount", "Measure", "Park", "Pathway", "Policy", "SymbiosisPlugin",
    "VintageModel", "actors", "allocate", "candidates", "centrality", "connectance", "cycles",
    "cyclicity", "demands", "energy_data", "exchanges", "finn", "finn_cycling_index",
    "haversine_km", "keystone_firms", "link_density", "links", "links_scenario",
    "load_catalogue", "mac_figure", "mac_table", "most_critical_firm", "network_metrics",
    "parameters", "park", "park_ghg", "parse_measures", "parse_policies", "plugin",
    "removal_scenario", "resilience", "size_classes", "supplies", "units_from_network",
]
