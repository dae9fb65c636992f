"""The hard rules of a roster that decide who may do a visit: one name and one definition each.

Every layer that needs one of these calls it here: the compiled problem the solver
searches (``optimiser.compile``), the validator's violations (``optimiser.validator``),
the unassigned reasons (``optimiser.explain``), the generator and the greedy baseline.
The names are the ones a violation and an unassigned visit carry, and the README's.
Each predicate reads the raw inputs only (never solver state), so the validator stays
independent of the search while agreeing with it on what "eligible" means.

The one soft matching rule on tags, a client's weighted ``preferences``, is defined here
too (:func:`unmet_preferences`, :func:`preference_cost`), next to its hard twin
``requirements``: the objective (``optimiser.engine``, ``optimiser.construct``) and the
KPIs (``optimiser.kpis``) read it from here. It never makes a carer ineligible.
"""

from __future__ import annotations

from .model import Carer, Client, Policy, Visit

SKILLS = "skills"
"""The carer holds every skill the visit needs (insulin, hoist ...)."""
GENDER = "gender"
"""The carer is of the gender the client asks for (``carer_gender``)."""
LANGUAGE = "language"
"""A client with ``language_match: required`` shares a language with the carer."""
REQUIREMENTS = "requirements"
"""The carer's ``attributes`` include every tag the client's ``requirements`` list."""
EXCLUDED = "excluded_carers"
"""The client has not declined the carer."""
CAPACITY = "capacity"
"""The visit's demand fits the carer's capacity (benchmark vehicle routing)."""
MAX_WORK = "max_work_minutes"
"""The visit alone is no longer than the carer's cap on paid minutes (and, on the whole
roster, her paid minutes stay within it)."""
PINNED = "pinned_carers"
"""A visit pinned to carers is done by them, and by nobody else in their place."""
SHIFTS = "shifts"
"""A visit lies inside one of its carer's shifts."""

COMMUTE = "commute"
"""Each trip from home to a shift's first visit, and from its last visit home, takes at
most the carer's commute limit (:func:`commute_limit`)."""
BETWEEN_SHIFTS = "between_shifts"
"""Between two shifts a carer goes home: the trip home from one shift's last visit and
the trip out to the next shift's first visit fit in the time between the two visits."""

ELIGIBILITY: tuple[str, ...] = (SKILLS, GENDER, LANGUAGE, REQUIREMENTS, EXCLUDED, CAPACITY, MAX_WORK)
"""The rules on one carer and one visit, in the order an unassigned reason tries them."""


def missing_skills(visit: Visit, carer: Carer) -> list[str]:
    """The visit's skills the carer lacks (sorted; empty when she has them all)."""
    return sorted(set(visit.skills) - set(carer.skills))


def wrong_gender(client: Client, carer: Carer) -> bool:
    """The client asks for a carer of another gender (or of one the carer has not recorded)."""
    return client.carer_gender is not None and carer.gender != client.carer_gender


def no_shared_language(client: Client, carer: Carer) -> bool:
    """The client requires a language match and the carer speaks none of her languages.

    A client who requires a match lists at least one language (the contract refuses an
    empty list with ``required``), so there is no "no requirement" case to decide here."""
    return client.language_match == "required" and not set(client.languages) & set(carer.languages)


def unmet_requirements(client: Client, carer: Carer) -> list[str]:
    """The tags the client requires that are not among the carer's attributes (sorted;
    empty when she has them all). Tags match exactly, as skills do."""
    return sorted(set(client.requirements) - set(carer.attributes))


def declined(client: Client, carer: Carer) -> bool:
    """The client has declined this carer (``excluded_carers``)."""
    return carer.id in client.excluded_carers


def over_capacity(visit: Visit, carer: Carer) -> bool:
    """The visit's demand alone exceeds the carer's capacity."""
    return carer.capacity is not None and visit.demand > carer.capacity


def longer_than_work_cap(visit: Visit, carer: Carer) -> bool:
    """The visit alone lasts longer than the carer may be paid for."""
    return carer.max_work_minutes is not None and visit.duration_minutes > carer.max_work_minutes


def pinned_elsewhere(visit: Visit, carer: Carer) -> bool:
    """Every place on the visit is pinned to another carer."""
    return len(visit.pinned_carers) >= visit.carers_required and carer.id not in visit.pinned_carers


def ineligible(visit: Visit, client: Client, carer: Carer) -> str | None:
    """The first rule of :data:`ELIGIBILITY` that stops ``carer`` doing ``visit``, or None.

    Parameters
    ----------
    visit, client, carer
        The visit, its client and a candidate carer, as in the problem.

    Returns
    -------
    str or None
        The rule's name (:data:`SKILLS` ...), or None when she may do it.
    """
    if missing_skills(visit, carer):
        return SKILLS
    if wrong_gender(client, carer):
        return GENDER
    if no_shared_language(client, carer):
        return LANGUAGE
    if unmet_requirements(client, carer):
        return REQUIREMENTS
    if declined(client, carer):
        return EXCLUDED
    if over_capacity(visit, carer):
        return CAPACITY
    if longer_than_work_cap(visit, carer):
        return MAX_WORK
    return None


def commute_limit(carer: Carer, policy: Policy) -> int | None:
    """The carer's longest allowed commute leg in minutes, or None for no limit.

    Her own ``max_commute_minutes`` wins; otherwise the policy's figure for her travel
    mode (DOMAIN.md's working assumption: car 45, bike 30, walk 25)."""
    if carer.max_commute_minutes is not None:
        return carer.max_commute_minutes
    if policy.max_commute_minutes is None:
        return None
    return policy.max_commute_minutes.get(carer.travel_mode)


def home_in_between(last_end: float, back: float, out: float, next_start: float) -> bool:
    """Whether a carer who ends a shift's last visit at ``last_end`` (minutes) can travel
    home (``back`` minutes) and out again (``out``) by the next shift's first visit at
    ``next_start``: the day is physically possible."""
    return last_end + back + out <= next_start


# --------------------------------------------------------------------------- soft matching


def unmet_preferences(client: Client, carer: Carer) -> list[str]:
    """The tags the client prefers that are not among the carer's attributes (sorted)."""
    return sorted(set(client.preferences) - set(carer.attributes))


def preference_cost(client: Client, carer: Carer) -> float:
    """GBP-equivalent cost of one visit to ``client`` by ``carer``: the summed weights of
    the preferred tags she lacks (0.0 when the client prefers nothing or she has them all).
    A double-handed visit costs it once per carer, as the language preference does."""
    if not client.preferences:
        return 0.0
    have = set(carer.attributes)
    return sum(weight for tag, weight in client.preferences.items() if tag not in have)
