"""The TravelTimes sources the core ships: haversine and explicit matrices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.model import Haversine, Location, TravelMatrix
from optimiser.travel import HaversineTravel, MatrixTravel, haversine_km

lat = st.floats(min_value=50.0, max_value=58.0)
lon = st.floats(min_value=-5.0, max_value=1.5)


@given(st.lists(st.tuples(lat, lon), min_size=2, max_size=6))
def test_haversine_matrix_matches_pairwise_formula(points) -> None:
    locations = {f"p{i}": Location(lat=a, lon=b) for i, (a, b) in enumerate(points)}
    travel = HaversineTravel(locations, Haversine(detour_factor=1.25, speed_kmh={"car": 40, "walk": 5, "bike": 15}))
    km = travel.km("car")
    for i, a in enumerate(locations.values()):
        for j, b in enumerate(locations.values()):
            assert km[i, j] == pytest.approx(1.25 * haversine_km(a, b), abs=1e-6)
    assert np.allclose(travel.minutes("walk"), km / 5 * 60)
    assert np.all(travel.minutes("walk") >= travel.minutes("car"))


def test_known_distance_leicester_to_london() -> None:
    leicester, london = Location(lat=52.6369, lon=-1.1398), Location(lat=51.5074, lon=-0.1278)
    assert haversine_km(leicester, london) == pytest.approx(143.5, abs=1.5)


def test_matrix_travel_uses_given_entries_and_falls_back_for_km() -> None:
    matrix = TravelMatrix(points=["a", "b"], minutes={"car": [[0, 7], [9, 0]]})
    fallback = HaversineTravel({"b": Location(lat=52.0, lon=-1.0), "a": Location(lat=52.1, lon=-1.0)})
    travel = MatrixTravel(matrix, fallback=fallback)
    assert travel.leg("car", "a", "b")[0] == 7  # asymmetric entries kept as given
    assert travel.leg("car", "b", "a")[0] == 9
    assert travel.leg("car", "a", "b")[1] == pytest.approx(fallback.leg("car", "a", "b")[1])
    with pytest.raises(KeyError, match="walk"):
        travel.minutes("walk")
