"""Where a problem's travel times come from: its explicit matrix, a road network (the
``geo`` package) or the haversine estimate.

Apart from ``optimiser.travel`` (the travel sources themselves) so that ``geo`` builds on
``optimiser.travel`` and this module builds on both, with no import circle.
"""

from __future__ import annotations

from .model import Problem
from .travel import HaversineTravel, MatrixTravel, TravelTimes


def travel_times(problem: Problem) -> TravelTimes:
    """The travel source a problem asks for: matrix, road network, else haversine."""
    locations = problem.locations()
    haversine = HaversineTravel(locations, problem.travel.haversine)
    if problem.travel.matrix is not None:
        return MatrixTravel(problem.travel.matrix, fallback=haversine)
    if problem.travel.road_network is not None:
        from geo import RoadTravelTimes  # only problems on roads pay for importing the road stack

        return RoadTravelTimes.from_spec(problem.travel.road_network, locations)
    return haversine
