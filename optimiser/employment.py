"""Employment models: what the same roster costs under different terms of employment.

A roster fixes who does which visit, when, and the travel between; what the provider
pays for it depends on how its carers are employed. Four models are named here and
selectable by name (:data:`EMPLOYMENT_MODELS`):

* ``zero_hours``: contact time and travel between visits are paid; the waiting between
  visits and the unused part of a shift are not (the implicit model of
  :mod:`optimiser.kpis` and the Homecare Association's minimum price).
* ``guaranteed_hours``: as zero-hours, but each carer is paid at least her
  ``contracted_minutes`` whether she works them or not.
* ``salaried_shifts``: the whole of every shift she works is paid, waiting included, and
  at least her contracted minutes.
* ``ethical_care_charter``: UNISON's Ethical Care Charter for the commissioning of
  homecare, as far as it prices a roster (see :data:`ETHICAL_CARE_CHARTER`).

On-costs are itemised as the Homecare Association itemises them, per carer: holiday pay,
training and supervision time, sick pay (statutory or occupational), employer National
Insurance above the secondary threshold and the employer's auto-enrolment pension
contribution on qualifying earnings; then mileage; then running the business and profit
as shares of the price. Every rate is a field of :class:`EmploymentModel` with its source
or "working assumption"; a model is a validated pydantic object, so a council can start
from a named model and change any figure (``{"name": "ethical_care_charter",
"sickness_absence_share": 0.03}``).

Annual thresholds are taken pro rata for the roster's days (:func:`roster_days`): the
threshold for a roster of ``d`` days is the annual figure x ``d`` / 365. A carer's
``contracted_minutes`` are already her guarantee over the roster's horizon
(:class:`optimiser.model.Carer`: the paid minutes "the roster should give her";
:mod:`optimiser.recurring` makes them the weekly guarantee x days/7), so they are used as
they are, never pro-rated again.

>>> from optimiser.employment import employment_model
>>> employment_model("ethical_care_charter").sick_pay
'occupational'
>>> employment_model("salaried").name
Traceback (most recent call last):
...
optimiser.errors.InputError: unknown employment model 'salaried'; choose from zero_hours, guaranteed_hours, salaried_shifts, ethical_care_charter
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)

from . import rules
from .errors import InputError, describe_validation_error
from .kpis import KM_PER_MILE, CarerKpis, Kpis
from .model import MAX_HOURLY, MAX_MONEY, MAX_PER_MILE, Float, Problem, Solution, TravelMode, whole
from .roster import Roster
from .travel import TravelTimes

EmploymentName = Literal["zero_hours", "guaranteed_hours", "salaried_shifts", "ethical_care_charter"]
YEAR_DAYS = 365
"""Days in the 2025/26 tax year (6 April 2025 to 5 April 2026): annual thresholds are
taken pro rata over them."""

Share = Annotated[Float, Field(ge=0, le=1)]
Amount = Annotated[Float, Field(ge=0, le=MAX_MONEY)]

EMPLOYMENT_ITEMS = (
    "contact_wage", "travel_time_wage", "waiting_time_wage", "guaranteed_hours_top_up", "sleep_in_allowances",
    "holiday_pay", "training_and_supervision", "sick_pay", "employer_ni", "employer_pension", "mileage",
    "running_business", "profit",
)
"""The cost items of :class:`EmploymentCost`, in the order a report lists them. All but
the last two make the direct cost; the price grosses it up for running the business and
profit. ``waiting_time_wage`` is the paid time within a shift that is neither a visit nor
travel: the waiting between visits, or under salaried shifts the rest of the shift too."""


class EmploymentModel(BaseModel):
    """Terms of employment and on-cost rates: what a roster's time costs the provider.

    The defaults are the statutory minimum in England for 2025/26 and the zero-hours
    terms; :data:`EMPLOYMENT_MODELS` holds the named models. Rates the roster's own
    :class:`optimiser.model.Policy` already sets (mileage, running the business, profit)
    are taken from it when left ``None`` here, so one figure is set in one place.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: EmploymentName = Field(description="The named model these terms start from.")
    # what time is paid
    pay_waiting: StrictBool = Field(
        default=False,
        description="The waiting between visits within a shift (the gap beyond travel, breaks included) "
        "is paid at the hourly wage. Zero-hours: no.",
    )
    pay_whole_shifts: StrictBool = Field(
        default=False,
        description="The whole of every shift she works is paid (waiting, and the shift's time before her "
        "first visit and after her last, included; a sleep-in inside it stays on the sleep-in allowance). "
        "A shift she does no visit in is not paid unless her guarantee pays it.",
    )
    guaranteed_hours: StrictBool = Field(
        default=False,
        description="Each carer is paid at least her contracted_minutes (her guarantee over the roster's "
        "horizon) whether she works them or not. A carer without contracted_minutes is paid what she works: "
        "the guarantee of the Employment Rights Act 2025 follows the hours worked in a 12-week reference "
        "period, which a representative roster shows (counted in EmploymentCost.carers_without_contract: "
        "the cost is then a lower bound).",
    )
    minimum_hourly_wage: Annotated[Float, Field(gt=0, le=MAX_HOURLY)] | None = Field(
        default=None,
        description="GBP per hour: a floor on every carer's wage (her hourly_wage, else the policy's). "
        "None: no floor beyond the roster's own wages.",
    )
    # employer's on-costs, 2025/26
    employer_ni_rate: Share = Field(
        default=0.15, description="Employer (secondary) Class 1 National Insurance, 2025/26 (GOV.UK)."
    )
    ni_secondary_threshold: Amount = Field(
        default=5_000.0,
        description="GBP a year of a carer's earnings free of employer NI, 2025/26 (GOV.UK); pro rata for the "
        "roster's days. The Employment Allowance (per employer, not per carer) is not deducted.",
    )
    pension_employer_rate: Share = Field(
        default=0.03,
        description="Employer's minimum auto-enrolment contribution on qualifying earnings (The Pensions "
        "Regulator). Every carer is taken to be enrolled (opt-outs and the £10,000 trigger are ignored: "
        "the cost is not understated).",
    )
    pension_lower_qualifying_earnings: Amount = Field(
        default=6_240.0, description="GBP a year, 2025/26 (The Pensions Regulator); pro rata for the roster's days."
    )
    pension_upper_qualifying_earnings: Amount = Field(
        default=50_270.0, description="GBP a year, 2025/26 (The Pensions Regulator); pro rata for the roster's days."
    )
    holiday_pay_rate: Share = Field(
        default=0.1207,
        description="Holiday pay as a share of pay for time: 5.6 weeks' statutory leave over the 46.4 weeks "
        "worked (5.6 / 46.4), the accrual rate GOV.UK gives for irregular-hours workers.",
    )
    training_share: Share = Field(
        default=0.03,
        description="Paid training, supervision and team meetings as a share of pay for time. Working "
        "assumption (unverified): about 7 paid days a year over about 232 working days.",
    )
    sickness_absence_share: Share = Field(
        default=0.021,
        description="Share of working time lost to sickness: 4.8 days a year on average (Skills for Care, "
        "The state of the adult social care sector and workforce in England, 2019) over about 232 working "
        "days (46.4 weeks x 5). Working assumption for 2025/26.",
    )
    sick_pay: Literal["statutory", "occupational"] = Field(
        default="statutory",
        description="statutory: Statutory Sick Pay, the lower of ssp_weekly_rate and ssp_earnings_share of "
        "her weekly pay, from the first day (the rules from 6 April 2026, when the policy's £12.71 wage "
        "applies). occupational: her full pay while sick.",
    )
    ssp_weekly_rate: Amount = Field(default=118.75, description="GBP a week of Statutory Sick Pay, 2025/26 (GOV.UK).")
    ssp_earnings_share: Share = Field(
        default=0.8, description="SSP is at most this share of weekly earnings (Employment Rights Act 2025)."
    )
    mileage_per_mile: dict[TravelMode, Annotated[Float, Field(ge=0, le=MAX_PER_MILE)]] | None = Field(
        default=None,
        description="GBP per mile travelled between visits, per travel mode. None: the policy's "
        "mileage_per_mile (HMRC approved mileage rates, 45p car and 20p bike).",
    )
    business_cost_share: Annotated[Float, Field(ge=0, lt=1)] | None = Field(
        default=None, description="Running the business, share of the price. None: the policy's (0.25)."
    )
    profit_share: Annotated[Float, Field(ge=0, lt=1)] | None = Field(
        default=None, description="Profit or surplus, share of the price. None: the policy's (0.029)."
    )
    # what is flagged
    short_visit_minutes: whole(ge=1, le=1440) | None = Field(
        default=None,
        description="Count the placed visits (ordinary calls: sleep-ins and waking nights are not) shorter "
        "than this; every ordinary call is taken to be personal care, as the roster does not say. None: "
        "not counted. The roster is not changed.",
    )

    @model_validator(mode="after")
    def _bands(self) -> EmploymentModel:
        if self.pension_upper_qualifying_earnings < self.pension_lower_qualifying_earnings:
            raise ValueError(
                f"pension_upper_qualifying_earnings {self.pension_upper_qualifying_earnings:,.2f} is below "
                f"pension_lower_qualifying_earnings {self.pension_lower_qualifying_earnings:,.2f}"
            )
        return self

    @property
    def label(self) -> str:
        """The model's name as a report prints it."""
        return LABELS[self.name]

    def describe(self) -> str:
        """The terms and rates in one sentence, as a report prints them (changed figures included)."""
        if self.pay_whole_shifts:
            paid = "the whole of every shift worked (waiting included)"
        elif self.pay_waiting:
            paid = "contact time, travel and waiting between visits"
        else:
            paid = "contact time and travel between visits (waiting unpaid)"
        parts = [f"paid: {paid}"]
        parts.append("at least her contracted minutes" if self.guaranteed_hours else "no guaranteed hours")
        if self.minimum_hourly_wage is not None:
            parts.append(f"wage at least £{self.minimum_hourly_wage:.2f}/h")
        parts.append(
            f"holiday {100 * self.holiday_pay_rate:.2f}%, training and supervision {100 * self.training_share:.1f}%, "
            f"{self.sick_pay} sick pay ({100 * self.sickness_absence_share:.1f}% of time off sick), employer NI "
            f"{100 * self.employer_ni_rate:.0f}% above £{self.ni_secondary_threshold:,.0f} a year, pension "
            f"{100 * self.pension_employer_rate:.0f}% on earnings from £{self.pension_lower_qualifying_earnings:,.0f} "
            f"to £{self.pension_upper_qualifying_earnings:,.0f} a year"
        )
        if self.short_visit_minutes is not None:
            parts.append(f"visits under {self.short_visit_minutes} min counted")
        return "; ".join(parts)


ITEM_LABELS: dict[str, str] = {
    "contact_wage": "Contact wage",
    "travel_time_wage": "Travel time wage",
    "waiting_time_wage": "Waiting (and unused shift) time wage",
    "guaranteed_hours_top_up": "Guaranteed hours not worked",
    "sleep_in_allowances": "Sleep-in allowances",
    "holiday_pay": "Holiday pay",
    "training_and_supervision": "Training and supervision time",
    "sick_pay": "Sick pay",
    "employer_ni": "Employer National Insurance",
    "employer_pension": "Employer pension",
    "mileage": "Mileage",
    "running_business": "Running the business",
    "profit": "Profit",
}
"""How a report names each of :data:`EMPLOYMENT_ITEMS`."""

LABELS: dict[EmploymentName, str] = {
    "zero_hours": "Zero-hours",
    "guaranteed_hours": "Guaranteed hours",
    "salaried_shifts": "Salaried shifts",
    "ethical_care_charter": "Ethical Care Charter",
}

ETHICAL_CARE_CHARTER = EmploymentModel(
    name="ethical_care_charter",
    # Stage 1: "Homecare workers will be paid for their travel time, their travel costs and other
    # necessary expenses": travel and mileage, as every model here pays them. The Charter says
    # nothing of the waiting between visits, so it is not paid (pay_waiting: working assumption;
    # the Homecare Association's 2026/27 minimum price counts waiting as working time).
    # Stage 1: "In general, 15-minute visits will not be used"; NICE NG21 asks that visits under
    # 30 minutes be used only in narrow cases: visits under 30 minutes are counted.
    short_visit_minutes=30,
    # Stage 2: "Zero hour contracts will not be used in place of permanent contracts": the
    # guarantee. Training "in work time" is in training_share, as in every model.
    guaranteed_hours=True,
    # Stage 3: "paid at least the Living Wage": the Living Wage Foundation's rate announced on
    # 22 October 2025 (£14.80 in London), which accredited employers pay by 1 May 2026, the
    # year of the policy's £12.71 National Living Wage (the 2024 rate, £12.60, is below it).
    minimum_hourly_wage=13.45,
    # Stage 3: "covered by an occupational sick pay scheme".
    sick_pay="occupational",
)
"""UNISON's Ethical Care Charter as it prices a roster (the Charter's own words quoted in
the comments); what it does not say is a working assumption and a field to change."""

EMPLOYMENT_MODELS: dict[EmploymentName, EmploymentModel] = {
    "zero_hours": EmploymentModel(name="zero_hours"),
    "guaranteed_hours": EmploymentModel(name="guaranteed_hours", guaranteed_hours=True),
    "salaried_shifts": EmploymentModel(name="salaried_shifts", pay_whole_shifts=True, guaranteed_hours=True),
    "ethical_care_charter": ETHICAL_CARE_CHARTER,
}
"""The named models, in the order reports list them."""


def employment_model(name: str, **changes: Any) -> EmploymentModel:
    """The named employment model, with any of its figures changed.

    Parameters
    ----------
    name:
        One of :data:`EMPLOYMENT_MODELS`.
    **changes:
        Fields of :class:`EmploymentModel` to set, e.g. ``pay_waiting=True``; checked as
        any model's fields are.

    Returns
    -------
    EmploymentModel
        Its terms and rates (frozen).

    Raises
    ------
    InputError
        For an unknown name, naming the ones there are.
    pydantic.ValidationError
        For a changed figure out of its range, naming the field.
    """
    if name not in EMPLOYMENT_MODELS:
        raise InputError(f"unknown employment model {name!r}; choose from {', '.join(EMPLOYMENT_MODELS)}")
    base = EMPLOYMENT_MODELS[name]  # type: ignore[index]
    return EmploymentModel.model_validate({**base.model_dump(), **changes}) if changes else base


def _named(value: Any) -> Any:
    # a name stands for the named model; an object with a name changes that model's figures
    try:
        if isinstance(value, str):
            return employment_model(value)
        if isinstance(value, dict):
            if not isinstance(value.get("name"), str):
                raise ValueError(f"name: the model the figures change, one of {', '.join(EMPLOYMENT_MODELS)}")
            return employment_model(**value)
    except InputError as err:
        raise ValueError(str(err)) from err
    except ValidationError as err:
        raise ValueError(describe_validation_error(err)) from err
    return value


EmploymentChoice = Annotated[EmploymentName | EmploymentModel, BeforeValidator(_named)]
"""A model in a settings document: its name (``"ethical_care_charter"``), or an object with
its name and the figures to change (``{"name": "zero_hours", "holiday_pay_rate": 0.13}``);
either way an :class:`EmploymentModel` once validated."""


# --------------------------------------------------------------------------- the cost


class _Out(BaseModel):
    pass


class CarerPay(_Out):
    """One carer's pay under a model, over the roster's days (GBP and minutes)."""

    hourly_wage: float = 0.0
    paid_minutes: float = 0.0  # contact + travel (+ waiting or the rest of the shift) + top-up
    top_up_minutes: float = 0.0  # guaranteed minutes she did not work but is paid
    gross_pay: float = 0.0  # pay for time, sleep-ins, holiday, training and sick pay: what NI and pension see
    employer_ni: float = 0.0
    employer_pension: float = 0.0
    mileage: float = 0.0


class EmploymentCost(_Out):
    """What a roster costs under one employment model, over the roster's days."""

    model: EmploymentName
    days: int = Field(description="The roster's days: annual thresholds are taken x days / 365")
    items: dict[str, float] = Field(description="EMPLOYMENT_ITEMS -> GBP; they add up to total")
    direct: float = Field(description="GBP: pay, on-costs and mileage (all items but running the business and profit)")
    total: float = Field(description="GBP: the sustainable price, direct grossed up for running the business and profit")
    contact_hours: float = 0.0
    paid_hours: float = Field(default=0.0, description="Hours paid for time: contact, travel, waiting or shift time "
                              "the model pays, and guaranteed hours not worked (not holiday, training or sickness)")
    top_up_hours: float = Field(default=0.0, description="Guaranteed hours paid but not worked")
    cost_per_contact_hour: float | None = None
    break_even_fee: float | None = Field(default=None, description="Fee per contact hour covering the direct cost "
                                         "and running the business with zero profit")
    short_personal_care_visits: int | None = Field(
        default=None, description="Placed ordinary visits shorter than the model's short_visit_minutes (None: not counted)")
    carers_without_contract: int | None = Field(
        default=None, description="Carers without contracted_minutes, paid what they work although the model "
        "guarantees hours (None: the model has no guarantee)")
    notes: list[str] = Field(default_factory=list, description="Where data was missing and what was assumed")
    per_carer: dict[str, CarerPay] = Field(default_factory=dict)


class _NoTravel(TravelTimes):
    """Travel comes from the KPIs: the roster read here is only asked who worked which shift."""

    def __init__(self) -> None:
        super().__init__([])

    def _compute(self, mode: TravelMode) -> Any:
        raise RuntimeError("employment costs read travel from the KPIs, never from a matrix")


def roster_days(problem: Problem) -> int:
    """Calendar days the roster covers: from the first to the last day a shift or a visit
    window starts on, both counted (a one-day problem: 1; a Monday-to-Sunday week: 7)."""
    days: list[date] = [s.start.date() for c in problem.carers for s in c.shifts]
    days += [v.window.start.date() for v in problem.visits]
    return (max(days) - min(days)).days + 1 if days else 1


def employment_cost(problem: Problem, solution: Solution, kpis: Kpis, model: EmploymentModel) -> EmploymentCost:
    """The itemised cost of a roster under one employment model.

    Parameters
    ----------
    problem, solution:
        The roster and its problem: carers' shifts, wages and contracted minutes; which
        shifts each carer works and which visits are placed.
    kpis:
        The roster's :class:`~optimiser.kpis.Kpis` (the same travel as the roster was
        validated on): contact, paid travel, waiting and miles per carer come from here.
    model:
        The terms and rates (:func:`employment_model` gives the named ones).

    Returns
    -------
    EmploymentCost
        GBP for the roster's days (:func:`roster_days`), item by item, with paid hours,
        cost per contact hour and the break-even fee.

    Notes
    -----
    Per carer, over the roster's ``d`` days, at her wage ``w`` (raised to the model's
    minimum), ``pay`` = ``w`` x paid time + her sleep-in allowances, where paid time is
    contact + travel between visits, plus the waiting when the model pays it, or the whole
    of each shift she works, and at least her guarantee. Then holiday pay and training time
    are shares of the pay for time; sick pay is ``sickness_absence_share`` x her pay for
    time (occupational) or x the lower of ``ssp_earnings_share`` x that pay and
    ``ssp_weekly_rate`` x ``d``/7 (statutory). Employer NI is ``employer_ni_rate`` x her
    gross pay above ``ni_secondary_threshold`` x ``d``/365; the pension is
    ``pension_employer_rate`` x her gross pay between the qualifying-earnings limits x
    ``d``/365. A one-day roster thus takes a carer to earn the same every day of the year,
    which lowers her thresholds against a five-day week and does not understate the cost.
    Mileage is paid for the miles between visits (never the commute). The price is the
    direct cost / (1 - running the business - profit), as in :mod:`optimiser.kpis`.

    Missing data: a carer without ``contracted_minutes`` under a guarantee is paid what she
    works (counted in ``carers_without_contract``; the cost is then a lower bound).
    """
    policy = problem.policy
    days = roster_days(problem)
    year = days / YEAR_DAYS
    mileage_rates = model.mileage_per_mile if model.mileage_per_mile is not None else policy.mileage_per_mile
    business = policy.business_cost_share if model.business_cost_share is None else model.business_cost_share
    profit = policy.profit_share if model.profit_share is None else model.profit_share
    if business + profit >= 1:
        raise InputError(
            f"business_cost_share {business} + profit_share {profit} leave nothing of the price for the work; "
            "they must add up to less than 1"
        )
    roster = Roster(problem, solution, _NoTravel())
    items = dict.fromkeys(EMPLOYMENT_ITEMS, 0.0)
    out = EmploymentCost(model=model.name, days=days, items={}, direct=0.0, total=0.0)
    without_contract = 0
    for carer in problem.carers:
        ck = kpis.per_carer.get(carer.id) or CarerKpis()
        wage = max(carer.hourly_wage or policy.hourly_wage, model.minimum_hourly_wage or 0.0)
        worked = ck.contact_minutes + ck.travel_minutes
        waiting = ck.waiting_minutes if model.pay_waiting else 0.0
        if model.pay_whole_shifts:  # the shift holds the waiting and the time around her visits
            waiting = max(ck.waiting_minutes, _shift_minutes(roster, carer.id) - worked)
        top_up = 0.0
        if model.guaranteed_hours:
            if carer.contracted_minutes is None:
                without_contract += bool(ck.visits)
            else:
                top_up = max(0.0, carer.contracted_minutes - worked - waiting)
        paid = worked + waiting + top_up
        if paid <= 0 and not ck.sleep_in_allowance:
            continue
        time_pay = paid / 60 * wage
        items["contact_wage"] += ck.contact_minutes / 60 * wage
        items["travel_time_wage"] += ck.travel_minutes / 60 * wage
        items["waiting_time_wage"] += waiting / 60 * wage
        items["guaranteed_hours_top_up"] += top_up / 60 * wage
        items["sleep_in_allowances"] += ck.sleep_in_allowance
        holiday = model.holiday_pay_rate * time_pay
        training = model.training_share * time_pay
        if model.sick_pay == "occupational":
            sick = model.sickness_absence_share * time_pay
        else:
            ssp = min(model.ssp_earnings_share * time_pay, model.ssp_weekly_rate * days / 7)
            sick = model.sickness_absence_share * ssp
        gross = time_pay + ck.sleep_in_allowance + holiday + training + sick
        ni = model.employer_ni_rate * max(0.0, gross - model.ni_secondary_threshold * year)
        band = min(gross, model.pension_upper_qualifying_earnings * year) - model.pension_lower_qualifying_earnings * year
        pension = model.pension_employer_rate * max(0.0, band)
        mileage = ck.travel_km / KM_PER_MILE * mileage_rates.get(carer.travel_mode, 0.0)
        items["holiday_pay"] += holiday
        items["training_and_supervision"] += training
        items["sick_pay"] += sick
        items["employer_ni"] += ni
        items["employer_pension"] += pension
        items["mileage"] += mileage
        out.paid_hours += paid / 60
        out.top_up_hours += top_up / 60
        out.per_carer[carer.id] = CarerPay(
            hourly_wage=wage, paid_minutes=paid, top_up_minutes=top_up, gross_pay=gross,
            employer_ni=ni, employer_pension=pension, mileage=mileage,
        )
    out.direct = sum(items[i] for i in EMPLOYMENT_ITEMS[:-2])
    out.total = out.direct / (1 - business - profit)
    items["running_business"] = out.total * business
    items["profit"] = out.total * profit
    out.items = items
    out.contact_hours = kpis.contact_minutes / 60
    if out.contact_hours > 0:
        out.cost_per_contact_hour = out.total / out.contact_hours
        out.break_even_fee = out.direct / (1 - business) / out.contact_hours
    if model.short_visit_minutes is not None:
        out.short_personal_care_visits = sum(
            1 for v in problem.visits
            if v.kind == "visit" and v.duration_minutes < model.short_visit_minutes and roster.placed(v.id)
        )
    if model.guaranteed_hours:
        out.carers_without_contract = without_contract
        if without_contract:
            out.notes.append(
                f"{without_contract} carer(s) who worked have no contracted_minutes: each is paid what she works "
                "(no guarantee top-up), so this cost is a lower bound"
            )
    return out


def _shift_minutes(roster: Roster, carer_id: str) -> float:
    """Minutes of the shifts the carer works (a shift with a visit in it), less the sleep-ins
    in them: a sleep-in is paid its allowance, not by the hour (Mencap, UK Supreme Court 2021)."""
    carer = roster.carers[carer_id]
    total = 0.0
    for run in roster.runs(carer_id):
        total += carer.shifts[run[0].shift].minutes
        total -= sum(pl.visit.duration_minutes for pl in run if not rules.working(pl.visit))
    return total


def employment_costs(
    problem: Problem, solution: Solution, kpis: Kpis, models: list[EmploymentModel] | tuple[EmploymentModel, ...]
) -> dict[str, EmploymentCost]:
    """:func:`employment_cost` under each model, keyed by the model's name (names must differ)."""
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise InputError(f"employment models must have different names, got {names}")
    return {m.name: employment_cost(problem, solution, kpis, m) for m in models}
