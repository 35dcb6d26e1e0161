"""What a change of the garden-water rebate rules would do: the council's what-if
report (issue 10 item 5).

The council adopts and amends the rules (ELVESO 2.2's cap, the windows of 1.3 and
3.1.1, the methods of 3.1). ``changed_rule_set`` applies proposed values to a rule
set; ``compare`` evaluates every application of a season under both rule sets with
the one calculation of ``rebates.evaluate`` and returns only aggregates: totals
before and after, and the customers who gain or lose, in bands of the change, every
band of fewer than ``MIN_GROUP`` customers suppressed.

Pure: no database, no Flask. Problems with the proposal are codes with their field
(``Problem``), which the page words in the reader's language.
"""

from __future__ import annotations

import calendar
import dataclasses
import enum
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from webapp.domain.rebates import InvalidCase, RebateCase, RebateDecision, evaluate
from webapp.domain.rule_sets import Cap, Method, Methods, MonthDay, RuleSet, Window

MIN_GROUP = 5  # customers: a smaller group could point at a person
MAX_CAP_M3 = Decimal(1000)  # a proposal beyond this is a typing error, not a policy
ZERO_EUR = Decimal("0.00")
ZERO_M3 = Decimal("0.000")
# The bands of a customer's change of refund, EUR (upper bounds inclusive).
SMALL_CHANGE_EUR = Decimal(10)
LARGE_CHANGE_EUR = Decimal(50)
PROPOSAL_CLAUSE = "what-if"  # the clause a proposed value cites: none yet


# --------------------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class Proposal:
    """Proposed values; None keeps the rule set's own.

    ``caps`` gives every method's cap (a method left out has none); a window is its
    first and last day in the year.
    """

    caps: tuple[tuple[Method, Decimal], ...] | None = None
    watering_window: tuple[MonthDay, MonthDay] | None = None
    winter_window: tuple[MonthDay, MonthDay] | None = None
    methods: tuple[Method, ...] | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong with a proposed value: ``field`` names the form field
    (``cap_A``, ``watering_start``, ``methods``), ``code`` the kind of problem."""

    field: str
    code: str


class ProposalError(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{problem.field}: {problem.code}" for problem in problems))
        self.problems = tuple(problems)


def current_proposal(rule_set: RuleSet) -> Proposal:
    """The rule set's own values, as a proposal that changes nothing (the form's defaults)."""
    def window(rule: Window | None) -> tuple[MonthDay, MonthDay] | None:
        return None if rule is None else (rule.start, rule.end)

    return Proposal(
        caps=tuple((method, cap.m3) for method, cap in sorted(rule_set.caps.items())),
        watering_window=window(rule_set.watering_window),
        winter_window=window(rule_set.winter_window),
        methods=tuple(rule_set.methods.allowed),
    )


def proposal_problems(rule_set: RuleSet, proposal: Proposal) -> tuple[Problem, ...]:
    """Everything wrong with ``proposal`` for ``rule_set``; empty when it can be applied."""
    problems: list[Problem] = []
    for method, cap in proposal.caps or ():
        if not cap.is_finite() or not Decimal(0) <= cap <= MAX_CAP_M3:
            problems.append(Problem(f"cap_{method}", "cap_range"))
    winter_problems = _window_problems("winter", proposal.winter_window)
    watering_problems = _window_problems("watering", proposal.watering_window)
    problems += watering_problems + winter_problems
    watering = proposal.watering_window
    if watering is not None and not watering_problems and (
            watering[0].month, watering[0].day) > (watering[1].month, watering[1].day):
        # The watering period lies within one calendar year (ELVESO 1.3).
        problems.append(Problem("watering_end", "watering_wraps"))
    methods = rule_set.methods.allowed if proposal.methods is None else proposal.methods
    if not methods:
        problems.append(Problem("methods", "no_method"))
    winter = rule_set.winter_window if proposal.winter_window is None else proposal.winter_window
    if Method.A in methods and winter is None:
        # Method A compares the watering period with the winter (ELVESO 3.1.1).
        problems.append(Problem("winter_start", "winter_needed"))
    return tuple(problems)


def _window_problems(name: str, window: tuple[MonthDay, MonthDay] | None) -> list[Problem]:
    if window is None:
        return []
    start, end = window
    problems = []
    if not _day_of_every_year(start):
        problems.append(Problem(f"{name}_start", "not_a_day"))
    elif start.day != 1:
        # A window is whole months: ELVESO 3.1.1 averages by month.
        problems.append(Problem(f"{name}_start", "not_month_start"))
    if not _day_of_every_year(end):
        problems.append(Problem(f"{name}_end", "not_a_day"))
    elif end.day != calendar.monthrange(2001, end.month)[1]:
        problems.append(Problem(f"{name}_end", "not_month_end"))
    return problems


def _day_of_every_year(day: MonthDay) -> bool:
    return 1 <= day.month <= 12 and 1 <= day.day <= calendar.monthrange(2001, day.month)[1]


def changed_rule_set(rule_set: RuleSet, proposal: Proposal) -> RuleSet:
    """``rule_set`` with the proposed values (under the same id: the decisions are
    compared, not stored); ``ProposalError`` listing every problem."""
    problems = proposal_problems(rule_set, proposal)
    if problems:
        raise ProposalError(problems)
    methods = rule_set.methods
    if proposal.methods is not None:
        methods = Methods(allowed=tuple(sorted(set(proposal.methods))),
                          clause=_clause(methods.clause, proposal.methods == methods.allowed))
    caps = dict(rule_set.caps)
    if proposal.caps is not None:
        caps = {method: _cap(rule_set.caps.get(method), m3) for method, m3 in proposal.caps}
    # rule_sets: a cap only for an allowed method.
    caps = {method: cap for method, cap in caps.items() if method in methods.allowed}
    return dataclasses.replace(
        rule_set,
        methods=methods,
        caps=caps,
        watering_window=_window(rule_set.watering_window, proposal.watering_window)
        or rule_set.watering_window,
        winter_window=_window(rule_set.winter_window, proposal.winter_window),
    )


def _clause(clause: str, unchanged: bool) -> str:
    return clause if unchanged else PROPOSAL_CLAUSE


def _cap(cap: Cap | None, m3: Decimal) -> Cap:
    if cap is not None and cap.m3 == m3:
        return cap
    # Cap validates decimal text (never a float); the range was checked by proposal_problems.
    return Cap(m3=format(m3, "f"), clause=PROPOSAL_CLAUSE)  # type: ignore[arg-type]


def _window(window: Window | None, proposed: tuple[MonthDay, MonthDay] | None) -> Window | None:
    if proposed is None:
        return window
    start, end = proposed
    if window is not None and (window.start, window.end) == (start, end):
        return window
    # Window validates "MM-DD" text; the days were checked by proposal_problems.
    return Window(start=str(start), end=str(end), clause=PROPOSAL_CLAUSE)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Subject:
    """One application of the season, as it is and under the proposal. ``customer``
    is any key of its customer: it only joins a customer's applications."""

    customer: Hashable
    baseline: RebateCase
    changed: RebateCase


def with_rule_set(case: RebateCase, rule_set: RuleSet) -> RebateCase:
    return dataclasses.replace(case, rule_set=rule_set)


@dataclass(frozen=True)
class Totals:
    applications: int
    eligible: int
    volume_m3: Decimal
    refund_eur: Decimal

    def minus(self, other: Totals) -> Totals:
        return Totals(self.applications - other.applications, self.eligible - other.eligible,
                      self.volume_m3 - other.volume_m3, self.refund_eur - other.refund_eur)


EMPTY_TOTALS = Totals(0, 0, ZERO_M3, ZERO_EUR)


class Band(enum.StrEnum):
    """A customer's change of refund, EUR, in the order the report lists them."""

    LOSS_OVER_50 = "loss_over_50"
    LOSS_10_50 = "loss_10_50"
    LOSS_UP_TO_10 = "loss_up_to_10"
    GAIN_UP_TO_10 = "gain_up_to_10"
    GAIN_10_50 = "gain_10_50"
    GAIN_OVER_50 = "gain_over_50"
    # Beside the bands (every such customer is in one of them too):
    NEWLY_ELIGIBLE = "newly_eligible"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"


CHANGE_BANDS = tuple(Band)[:6]
ELIGIBILITY_BANDS = (Band.NEWLY_ELIGIBLE, Band.NO_LONGER_ELIGIBLE)


@dataclass(frozen=True)
class Group:
    """Customers in one band: their number and the sum of their changes of refund, or
    neither (``suppressed``) where that could point at a person."""

    band: Band
    customers: int | None
    change_eur: Decimal | None

    @property
    def suppressed(self) -> bool:
        return self.customers is None


@dataclass(frozen=True)
class Impact:
    season: int
    baseline: Totals
    changed: Totals
    by_method: tuple[tuple[Method, Totals, Totals], ...]  # (method, baseline, changed)
    # Customers whose refund changes (None: fewer than MIN_GROUP, not told).
    customers_affected: int | None
    groups: tuple[Group, ...]  # CHANGE_BANDS, then ELIGIBILITY_BANDS
    invalid: int  # applications whose readings cannot be judged, left out of both

    @property
    def difference(self) -> Totals:
        return self.changed.minus(self.baseline)


@dataclass
class _Tally:
    applications: int = 0
    eligible: int = 0
    volume_m3: Decimal = ZERO_M3
    refund_eur: Decimal = ZERO_EUR

    def add(self, decision: RebateDecision) -> None:
        self.applications += 1
        if decision.eligible:
            self.eligible += 1
            self.volume_m3 += decision.volume_m3
            self.refund_eur += decision.refund_eur

    def totals(self) -> Totals:
        return Totals(self.applications, self.eligible, self.volume_m3, self.refund_eur)


@dataclass
class _Customer:
    change_eur: Decimal = ZERO_EUR
    eligible_before: bool = False
    eligible_after: bool = False


def compare(season: int, subjects: Iterable[Subject]) -> Impact:
    """The impact of the changed rule set over ``subjects`` (one season's applications)."""
    baseline, changed = _Tally(), _Tally()
    methods: dict[Method, tuple[_Tally, _Tally]] = defaultdict(lambda: (_Tally(), _Tally()))
    customers: dict[Hashable, _Customer] = defaultdict(_Customer)
    invalid = 0
    for subject in subjects:
        try:
            before, after = evaluate(subject.baseline), evaluate(subject.changed)
        except InvalidCase:
            invalid += 1
            continue
        baseline.add(before)
        changed.add(after)
        methods[subject.baseline.method][0].add(before)
        methods[subject.baseline.method][1].add(after)
        customer = customers[subject.customer]
        customer.change_eur += after.refund_eur - before.refund_eur
        customer.eligible_before |= before.eligible
        customer.eligible_after |= after.eligible
    changes = [customer.change_eur for customer in customers.values() if customer.change_eur]
    groups = suppress_bands(_band_groups(changes)) + suppress_eligibility(
        _eligibility_groups(customers.values()))
    return Impact(
        season=season,
        baseline=baseline.totals(),
        changed=changed.totals(),
        by_method=tuple((method, pair[0].totals(), pair[1].totals())
                        for method, pair in sorted(methods.items())),
        customers_affected=len(changes) if len(changes) >= MIN_GROUP else None,
        groups=groups,
        invalid=invalid,
    )


def band_of(change_eur: Decimal) -> Band:
    """The band of a customer's change of refund (not 0)."""
    size = abs(change_eur)
    if change_eur > 0:
        if size <= SMALL_CHANGE_EUR:
            return Band.GAIN_UP_TO_10
        return Band.GAIN_10_50 if size <= LARGE_CHANGE_EUR else Band.GAIN_OVER_50
    if size <= SMALL_CHANGE_EUR:
        return Band.LOSS_UP_TO_10
    return Band.LOSS_10_50 if size <= LARGE_CHANGE_EUR else Band.LOSS_OVER_50


def _band_groups(changes: Sequence[Decimal]) -> tuple[Group, ...]:
    counts: dict[Band, int] = defaultdict(int)
    sums: dict[Band, Decimal] = defaultdict(lambda: ZERO_EUR)
    for change in changes:
        band = band_of(change)
        counts[band] += 1
        sums[band] += change
    return tuple(Group(band, counts[band], sums[band]) for band in CHANGE_BANDS)


def _eligibility_groups(customers: Iterable[_Customer]) -> tuple[Group, ...]:
    counts = {band: 0 for band in ELIGIBILITY_BANDS}
    sums = {band: ZERO_EUR for band in ELIGIBILITY_BANDS}
    for customer in customers:
        if customer.eligible_before != customer.eligible_after:
            band = Band.NEWLY_ELIGIBLE if customer.eligible_after else Band.NO_LONGER_ELIGIBLE
            counts[band] += 1
            sums[band] += customer.change_eur
    return tuple(Group(band, counts[band], sums[band]) for band in ELIGIBILITY_BANDS)


# --------------------------------------------------------------------------- suppression
#
# A group of 1 to 4 customers is suppressed: neither its number nor its sum is shown
# (a group of none is shown: it points at nobody). Suppressing it is not enough when
# the report also shows what it adds up to. The change bands add up to the totals the
# council needs (the customers affected, the difference in EUR): with one band hidden,
# the totals less the bands shown would give it back. So more bands are hidden, the
# smallest first, until the hidden bands together hold at least MIN_GROUP customers:
# what subtraction then gives is the sum of a group of 5 or more, spread over bands
# that cannot be told apart. Only when fewer than MIN_GROUP customers are affected at
# all does every band stay hidden (and their number too); the totals are still shown,
# since they are the cost the council votes on, and name no one.
#
# Newly and no longer eligible customers are told apart from the bands. Their
# difference is about the difference of the eligible applications in the totals, so
# if either is suppressed the other is too: one shown would give the other back.


def suppress_bands(groups: Sequence[Group]) -> tuple[Group, ...]:
    hidden = {group.band for group in groups if _too_small(group)}
    while 0 < sum(group.customers or 0 for group in groups if group.band in hidden) < MIN_GROUP:
        shown = [group for group in groups if group.band not in hidden and group.customers]
        if not shown:
            break
        hidden.add(min(shown, key=lambda group: group.customers or 0).band)
    return tuple(_hidden(group) if group.band in hidden else group for group in groups)


def suppress_eligibility(groups: Sequence[Group]) -> tuple[Group, ...]:
    if any(_too_small(group) for group in groups):
        return tuple(_hidden(group) for group in groups)
    return tuple(groups)


def _too_small(group: Group) -> bool:
    return group.customers is not None and 0 < group.customers < MIN_GROUP


def _hidden(group: Group) -> Group:
    return Group(group.band, None, None)


def groups_by_band(impact: Impact) -> Mapping[Band, Group]:
    return {group.band: group for group in impact.groups}
