"""Compensation for unauthorised connections, unauthorised use and prohibited
connections (KEE §24-§29, DOMAIN.md section 3): the duration an act counts, the
volume it estimates and the lines of money the customer pays.

The decisions, each where it is applied:

- A duration runs from its start day to its end day (the day the connection or use
  came to light); ``days`` is the difference, so the start day counts and the end day
  does not (a connection made and found on the same day lasted 0 days).
- Where the start of an unauthorised connection cannot be proved, it is the day six
  months (the deadline set's ``unauthorised_connection_default_duration``) before the
  day it was found (KEE §25(2); TsÜS §136(2)-(3) for month ends).
- KEE bills whole cubic metres (§41(1)): an estimated volume (daily use x days) is
  rounded once to a whole m³, half up (``whole_m3_estimate``). Each line's amount is
  quantity x unit price to the cent, half up (``billing.round_cents``); the total is
  the sum of the lines.
- A water or sewer price of ``None`` means the service was not used: no line. A
  closing cost or damage of 0 gives no line.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from types import MappingProxyType

from webapp.domain import parameters
from webapp.domain.billing import round_cents
from webapp.domain.deadlines import DeadlineError, DeadlineId, DeadlineSet, due

# Products and quotients of Decimals kept exact far beyond the default 28 digits.
_EXACT = Context(prec=200)
_ZERO = Decimal(0)
# KEE §41(1) "kuupmeetri täpsusega": the step an estimate is rounded to
# (rules/parameters/KEE-2012.toml).
BILLING_UNIT_M3 = parameters.decimal("billing_unit_m3")


class ActsError(ValueError):
    """Input the rules of acts, meters and notices cannot work with: a negative price,
    a connection made after it was found, a month without a reading, a notice too
    short ... The message says what is wrong in plain English."""


# --------------------------------------------------------------------------- cases


class UnauthorisedUseCase(enum.StrEnum):
    """The nine cases of unauthorised water use or wastewater discharge (KEE §26);
    the texts are translated at the edge."""

    NO_CONTRACT = "26.1"  # KEE §26 p 1
    SEAL_BROKEN = "26.2"  # KEE §26 p 2
    VERIFICATION_SEAL_BROKEN = "26.3"  # KEE §26 p 3
    METER_TAMPERED = "26.4"  # KEE §26 p 4
    CLOSURE_DEVICE_REMOVED = "26.5"  # KEE §26 p 5
    CLOSED_VALVE_OPENED = "26.6"  # KEE §26 p 6
    INLET_PIPE_TAP = "26.7"  # KEE §26 p 7
    INSPECTION_WELL_DISCHARGE = "26.8"  # KEE §26 p 8
    OTHER_UNPAID_USE = "26.9"  # KEE §26 p 9


class ProhibitedCase(enum.StrEnum):
    """The prohibited connections (KEE §28): §28(1) and the four points of §28(2)."""

    BACKFLOW = "28.1"  # KEE §28(1)
    OTHER_WATER_SOURCE = "28.2.1"  # KEE §28(2) p 1
    DIRECT_CONNECTION = "28.2.2"  # KEE §28(2) p 2
    WASTEWATER_TO_STORM_SEWER = "28.2.3"  # KEE §28(2) p 3
    STORMWATER_TO_SEWER = "28.2.4"  # KEE §28(2) p 4


class ProhibitedClosure(enum.StrEnum):
    """What the utility may close on finding a prohibited connection (KEE §29(2))."""

    WATER_WITHOUT_NOTICE = "water_without_notice"
    WASTEWATER = "wastewater"


# KEE §29(2): §28(1) and §28(2) p 1-2: water supply closed without notice;
# §28(2) p 3-4: the wastewater discharge closed.
PROHIBITED_CLOSURE: Mapping[ProhibitedCase, ProhibitedClosure] = MappingProxyType({
    ProhibitedCase.BACKFLOW: ProhibitedClosure.WATER_WITHOUT_NOTICE,  # KEE §29(2)
    ProhibitedCase.OTHER_WATER_SOURCE: ProhibitedClosure.WATER_WITHOUT_NOTICE,  # KEE §29(2)
    ProhibitedCase.DIRECT_CONNECTION: ProhibitedClosure.WATER_WITHOUT_NOTICE,  # KEE §29(2)
    ProhibitedCase.WASTEWATER_TO_STORM_SEWER: ProhibitedClosure.WASTEWATER,  # KEE §29(2)
    ProhibitedCase.STORMWATER_TO_SEWER: ProhibitedClosure.WASTEWATER,  # KEE §29(2)
})


def prohibited_case(case: ProhibitedCase | str) -> ProhibitedCase:
    """``case`` as a ``ProhibitedCase``; ``ActsError`` for an unknown id."""
    try:
        return ProhibitedCase(case)
    except ValueError:
        known = ", ".join(member.value for member in ProhibitedCase)
        raise ActsError(f"unknown prohibited connection case {case!r} (known: {known})"
                        ) from None


def unauthorised_use_case(case: UnauthorisedUseCase | str) -> UnauthorisedUseCase:
    """``case`` as an ``UnauthorisedUseCase``; ``ActsError`` for an unknown id."""
    try:
        return UnauthorisedUseCase(case)
    except ValueError:
        known = ", ".join(member.value for member in UnauthorisedUseCase)
        raise ActsError(f"unknown unauthorised use case {case!r} (known: {known})") from None


# --------------------------------------------------------------------------- helpers


def _date(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


def _checked(name: str, value: Decimal) -> Decimal:
    """``value`` if it is a finite, non-negative Decimal, else ``ActsError``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ActsError(f"{name}: expected a finite Decimal, got {value!r}")
    if value < 0:
        raise ActsError(f"{name}: must not be negative, got {value}")
    return value


def deadline_due(deadline_id: DeadlineId, from_day: dt.date,
                 deadlines: DeadlineSet | None = None) -> dt.date:
    """``deadlines.due`` with a day no deadline set governs (before KEE's redaction of
    01.08.2012) reported as ``ActsError``."""
    try:
        return due(deadline_id, from_day, deadlines)
    except DeadlineError as error:
        raise ActsError(str(error)) from error


def whole_m3_estimate(volume_m3: Decimal) -> int:
    """An estimated volume in whole cubic metres, half up: 144.5 -> 145, 144.49 -> 144
    (KEE §41(1): "kuupmeetri täpsusega"). ``ActsError`` for a negative or non-finite
    volume."""
    _checked("volume", volume_m3)
    # KEE §41(1): quantities in whole m³; an estimate is rounded once, half up.
    return int(volume_m3.quantize(BILLING_UNIT_M3, rounding=ROUND_HALF_UP, context=_EXACT))


# --------------------------------------------------------------------------- duration


@dataclass(frozen=True)
class Duration:
    """How long a connection or use lasted: from ``start`` up to ``end`` (the day it
    came to light), ``days`` = ``(end - start).days``. ``proven``: whether ``start``
    was proved or is the default of KEE §25(2)."""

    start: dt.date
    end: dt.date
    days: int
    proven: bool
    clause: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ActsError(f"a duration ends on {_date(self.end)}, before it starts on "
                            f"{_date(self.start)}")
        if self.days != (self.end - self.start).days:
            raise ActsError(f"a duration from {_date(self.start)} to {_date(self.end)} has "
                            f"{(self.end - self.start).days} days, not {self.days}")

    @classmethod
    def between(cls, start: dt.date, end: dt.date, *, proven: bool = True,
                clause: str) -> Duration:
        """The duration from ``start`` to ``end`` (an inspector's finding, §27(1) act)."""
        return cls(start, end, (end - start).days, proven, clause)


def connection_duration(made_on: dt.date | None, found_on: dt.date,
                        deadlines: DeadlineSet | None = None) -> Duration:
    """The duration of an unauthorised connection found on ``found_on`` (KEE §25(2)):
    from ``made_on``, the day it was made, where that is proved; otherwise six months
    (the deadline ``unauthorised_connection_default_duration``) counted back from
    ``found_on``: found 15.03.2026 -> from 15.09.2025, 181 days; found 31.08.2026 ->
    from 28.02.2026 (TsÜS §136(3)).

    ``ActsError`` if ``made_on`` is after ``found_on``."""
    if made_on is not None:
        if made_on > found_on:
            raise ActsError(f"the connection cannot have been made on {_date(made_on)}, "
                            f"after it was found on {_date(found_on)}")
        # KEE §25(2): "arvutatakse ... välja ajast, mil ühendus tehti"
        return Duration(made_on, found_on, (found_on - made_on).days, True, "KEE §25(2)")
    # KEE §25(2): "loetakse kestvuseks 6 kuud" (counted back from the finding)
    start = deadline_due(DeadlineId.UNAUTHORISED_CONNECTION_DEFAULT_DURATION, found_on,
                         deadlines)
    return Duration(start, found_on, (found_on - start).days, False, "KEE §25(2)")


# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class CompensationLine:
    """One line of a compensation: ``quantity`` (whole m³, or 1 for a lump sum) at
    ``unit_price`` EUR; ``amount`` to the cent. ``key`` names the text ("water",
    "sewer", "closing", "seal", "damage"), translated at the edge."""

    key: str
    quantity: Decimal | int
    unit_price: Decimal
    amount: Decimal
    clause: str


@dataclass(frozen=True)
class Compensation:
    """What an act charges: the ``volume_m3`` of ``daily_m3`` over ``duration``, its
    ``lines`` and their ``total`` in EUR."""

    duration: Duration
    daily_m3: Decimal
    volume_m3: int
    lines: tuple[CompensationLine, ...]
    total: Decimal


def estimated_volume(duration: Duration, daily_m3: Decimal) -> int:
    """``daily_m3`` x ``duration.days`` in whole m³, half up (KEE §41(1)):
    0.8 m³ x 181 days = 144.8 -> 145 m³."""
    _checked("daily use", daily_m3)
    return whole_m3_estimate(_EXACT.multiply(daily_m3, Decimal(duration.days)))


def _volume_line(key: str, volume: int, price: Decimal, clause: str) -> CompensationLine:
    return CompensationLine(key, volume, price,
                            round_cents(_EXACT.multiply(Decimal(volume), price)), clause)


def _lump_line(key: str, amount: Decimal, clause: str) -> CompensationLine:
    return CompensationLine(key, 1, amount, round_cents(amount), clause)


def _compensation(duration: Duration, daily_m3: Decimal, water_price: Decimal | None,
                  sewer_price: Decimal | None, volume_clause: str,
                  lumps: tuple[tuple[str, Decimal, str], ...]) -> Compensation:
    """The shared calculation: the estimated volume at the water and sewer prices
    (each only where the service was used), and the lump sums greater than 0."""
    if water_price is not None:
        _checked("water price", water_price)
    if sewer_price is not None:
        _checked("sewer price", sewer_price)
    for key, amount, _clause in lumps:
        _checked(key, amount)
    volume = estimated_volume(duration, daily_m3)
    lines: list[CompensationLine] = []
    if water_price is not None:
        lines.append(_volume_line("water", volume, water_price, volume_clause))
    if sewer_price is not None:
        lines.append(_volume_line("sewer", volume, sewer_price, volume_clause))
    lines.extend(_lump_line(key, amount, clause)
                 for key, amount, clause in lumps if amount > _ZERO)
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return Compensation(duration, daily_m3, volume, tuple(lines), total)


def unauthorised_connection_compensation(
        duration: Duration, daily_m3: Decimal, water_price: Decimal | None,
        sewer_price: Decimal | None, closing_cost: Decimal, damage: Decimal) -> Compensation:
    """What the person an unauthorised connection served pays (KEE §25(1) p 2): the
    water and wastewater of ``daily_m3`` over the duration (§25(2)) in whole m³, at
    the water and sewer prices (``None``: that service was not used), the cost of
    closing the connection and the damage to the utility's facilities (no line when
    0). ``ActsError`` for a negative or non-finite amount.

    Found 15.03.2026, start not proved: 181 days; 0.8 m³/day -> 144.8 -> 145 m³;
    at 1.50 EUR water 217.50, at 2.00 EUR sewer 290.00, closing 45.00: 552.50 EUR."""
    return _compensation(
        duration, daily_m3, water_price, sewer_price,
        "KEE §25(1) p 2; §25(2); §41(1)",  # KEE §25(1) p 2: the water lost, for §25(2)
        (("closing", closing_cost, "KEE §25(1) p 2"),  # KEE §25(1) p 2: closing costs
         ("damage", damage, "KEE §25(1) p 2")))  # KEE §25(1) p 2: damage to facilities


def unauthorised_use_compensation(
        case: UnauthorisedUseCase | str, duration: Duration, daily_m3: Decimal,
        water_price: Decimal | None, sewer_price: Decimal | None, closing_cost: Decimal,
        damage: Decimal, seal_cost: Decimal = _ZERO) -> Compensation:
    """What an act of unauthorised use (KEE §26, point ``case``; the act of §27(1))
    charges: the same calculation as ``unauthorised_connection_compensation`` over the
    duration the inspector establishes, plus the replacement of a removed seal, which
    the owner or holder pays (§27(1), second sentence). ``ActsError`` for an unknown
    case or a negative amount."""
    point = unauthorised_use_case(case).value.split(".")[1]
    return _compensation(
        duration, daily_m3, water_price, sewer_price,
        f"KEE §26 p {point}; §27(1); §41(1)",  # KEE §26, §27(1): the act, the use estimated
        (("closing", closing_cost, "KEE §27(1)"),  # KEE §27(1): closed without notice
         ("seal", seal_cost, "KEE §27(1)"),  # KEE §27(1): the owner pays the new seal
         ("damage", damage, "KEE §14")))  # KEE §14: damage to the facilities


def prohibited_connection_compensation(
        case: ProhibitedCase | str, duration: Duration, daily_m3: Decimal,
        sewer_price: Decimal) -> Compensation | None:
    """The compensation for a prohibited connection (KEE §29(3)): only where wastewater
    could be led into the storm sewer (§28(2) p 3) does the customer pay the sewer fee
    of their group for a volume equal to the water volumes, over the duration of
    §25(2) (``connection_duration``); ``None`` in the other cases, for which §29(3)
    sets no compensation. ``ActsError`` for an unknown case or a negative amount."""
    known = prohibited_case(case)
    _checked("sewer price", sewer_price)
    _checked("daily use", daily_m3)
    # KEE §29(3): compensation only in the case of §28(2) p 3
    if known is not ProhibitedCase.WASTEWATER_TO_STORM_SEWER:
        return None
    # KEE §29(3): the sewer fee of the group, volume equal to the water, duration §25(2)
    return _compensation(duration, daily_m3, None, sewer_price,
                         "KEE §29(3); §28(2) p 3; §25(2); §41(1)", ())
