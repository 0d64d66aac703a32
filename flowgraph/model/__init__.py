"""The nouns: networks, nodes, flows, carriers, units, scenarios."""

from .carriers import Carrier
from .network import Network
from .scenario import Edit, Scenario

__all__ = ["Carrier", "Edit", "Network", "Scenario"]
