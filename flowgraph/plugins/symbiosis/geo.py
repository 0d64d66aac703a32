"""Distances between firms: the haversine great-circle distance, vectorised.

    d = 2 R asin( sqrt( sin^2((phi2 - phi1)/2) + cos(phi1) cos(phi2) sin^2((lam2 - lam1)/2) ) )

with latitudes phi and longitudes lam in radians and R the mean Earth radius.
"""

from __future__ import annotations

import numpy as np

#: mean Earth radius (IUGG), km; symbiosis_parameters.toml holds the value cases use
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2, radius_km: float = EARTH_RADIUS_KM) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (arrays broadcast;
    NaN where a coordinate is missing).

    >>> round(float(haversine_km(0.0, 0.0, 0.0, 1.0, radius_km=6371.0)), 3)
    111.195
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * radius_km * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
