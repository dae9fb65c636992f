"""Road-network travel times from OpenStreetMap, offline-first (© OpenStreetMap contributors).

One module per concern: settings, speeds, load (files), fetch (osmnx online + cache),
snap, matrix (compiled many-to-many shortest paths), cache (matrices on disk), travel
(:class:`RoadTravelTimes`), export (GeoJSON), places (settlements, street points), cli.
"""

from .export import ATTRIBUTION, for_day, solution_geojson
from .fetch import fetch_network
from .load import bundled_extract, load_network
from .matrix import CompiledNetwork
from .places import places, sample_street_points
from .settings import GeoSettings, geo_settings
from .travel import RoadTravelTimes

__all__ = [
    "ATTRIBUTION",
    "CompiledNetwork",
    "GeoSettings",
    "RoadTravelTimes",
    "bundled_extract",
    "fetch_network",
    "geo_settings",
    "load_network",
    "places",
    "sample_street_points",
    "for_day",
    "solution_geojson",
]
