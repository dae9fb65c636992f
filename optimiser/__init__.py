"""carerota: home-care roster optimiser.

``Problem`` -> :func:`solve` -> ``Solution``; :func:`validate` re-checks a roster from
the raw inputs. See the README for the JSON contract.
"""

from .io import InputError, read_problem, read_solution, write_json
from .model import Carer, Client, Policy, Problem, Solution, Visit
from .sources import travel_times
from .travel import HaversineTravel, MatrixTravel, TravelTimes

__all__ = [
    "Carer",
    "Client",
    "HaversineTravel",
    "InputError",
    "MatrixTravel",
    "Policy",
    "Problem",
    "Solution",
    "TravelTimes",
    "Visit",
    "read_problem",
    "read_solution",
    "solve",
    "travel_times",
    "validate",
    "write_json",
]


def __getattr__(name: str):  # lazy: importing the model must not import OR-Tools
    if name == "solve":
        from .engine import solve

        return solve
    if name == "validate":
        from .validator import validate

        return validate
    raise AttributeError(name)
