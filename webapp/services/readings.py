"""Readings sent by customers and their representatives (ITB 1): the list of
meters a person may read, checking and saving a press of "Send", and a meter's
history. The rules are ``webapp.domain.readings``; this module loads what they
need, asks the permission function and writes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.domain import csv_readings
from webapp.domain import readings as rules
from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.i18n import format_day, format_volume
from webapp.models import (
    Meter,
    MeterKind,
    MeterStatus,
    Reading,
    ReadingChannel,
    ReadingSubmission,
    Site,
    Utility,
)
from webapp.services.overview import latest_readings

READ_REMOTELY = frozenset({MeterKind.SMART})  # smart meters send their own readings
# Enough history for the average daily use of the last 12 months.
HISTORY_WINDOW = dt.timedelta(days=rules.HISTORY_DAYS + 31)


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class MeterRow:
    meter_id: int
    number: str
    kind: MeterKind
    site_id: int
    address: str
    last_value: Decimal | None
    last_day: dt.date | None
    last_measured_at: dt.datetime | None
    read_remotely: bool


@dataclass(frozen=True)
class SiteChoice:
    site_id: int
    code: str
    address: str
    meters: int


@dataclass(frozen=True)
class ReadingsList:
    sites: tuple[SiteChoice, ...]  # every site the person may send readings for
    chosen: SiteChoice | None  # the site the list is limited to, if any
    rows: tuple[MeterRow, ...]
    large_customer: bool  # ITB 1.2: groups, CSV import and the API are offered
    api_keys: bool = False  # ITB 1.2.2: the person may make API keys (owner or manager)

    @property
    def standard(self) -> bool:
        """One meter to read at one site: the standard view (ITB 1.1)."""
        readable = [row for row in self.rows if not row.read_remotely]
        return len(self.sites) == 1 and len(readable) == 1 and len(self.rows) == 1


def reading_site_ids(actor: Actor) -> list[int]:
    return sorted(site for site in actor.site_roles if can(actor, Action.SUBMIT_READING, site))


def readings_list(actor: Actor, utility: Utility | None, site_id: int | None = None,
                  group_sites: frozenset[int] | None = None) -> ReadingsList:
    """The meters the person may send readings for, in a constant number of queries
    whatever their number; ``site_id`` limits the list to one of the person's sites
    (404 for any other), ``group_sites`` to the sites of one of their groups."""
    site_ids = reading_site_ids(actor)
    if site_id is not None and site_id not in site_ids:
        abort(404)
    sites = db.session.scalars(
        select(Site).where(Site.id.in_(site_ids)).options(selectinload(Site.meters))
        .order_by(Site.address, Site.code)
    ).all() if site_ids else []
    active = {site.id: [m for m in site.meters if m.status == MeterStatus.ACTIVE]
              for site in sites}
    # A site without a meter (billed by its residents, KEE §42) has nothing to read: it
    # is neither offered nor counted towards the mass view.
    choices = tuple(SiteChoice(s.id, s.code, s.address, len(active[s.id])) for s in sites
                    if active[s.id])
    shown = [site for site in sites if (site_id is None or site.id == site_id)
             and (group_sites is None or site.id in group_sites)]
    meters = [meter for site in shown for meter in active[site.id]]
    latest = latest_readings([meter.id for meter in meters])
    rows = tuple(_row(meter, site, latest.get(meter.id)) for site in shown
                 for meter in active[site.id])
    return ReadingsList(
        sites=choices,
        chosen=next((c for c in choices if c.site_id == site_id), None),
        rows=rows,
        large_customer=is_large_customer(choices, utility),
        api_keys=any(can(actor, Action.CREATE_API_KEY, site) for site in site_ids),
    )


def offers(actor: Actor, utility: Utility | None) -> ReadingsList:
    """The person's sites and what the mass view offers them (groups, CSV import, the
    API page), without any meter rows: an empty group shows no meters, so the
    latest readings are not even asked for."""
    return readings_list(actor, utility, group_sites=frozenset())


def is_large_customer(sites: Sequence[SiteChoice], utility: Utility | None) -> bool:
    """ITB 1.2: at least 4 meters on one site, or at least 3 sites (utility settings)."""
    meter_threshold = utility.mass_view_meter_threshold if utility else 4
    site_threshold = utility.mass_view_site_threshold if utility else 3
    return len(sites) >= site_threshold or any(s.meters >= meter_threshold for s in sites)


def _row(meter: Meter, site: Site, last: Reading | None) -> MeterRow:
    return MeterRow(
        meter_id=meter.id,
        number=meter.number,
        kind=meter.kind,
        site_id=site.id,
        address=site.address,
        last_value=last.value if last else None,
        last_day=last.reading_date if last else None,
        last_measured_at=last.measured_at if last else None,
        read_remotely=meter.kind in READ_REMOTELY,
    )


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Entry:
    """One filled row of a press of "Send"."""

    meter_id: int
    text: str
    day: dt.date
    confirmed: bool = False


@dataclass
class RowOutcome:
    entry: Entry
    value: Decimal | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    saved: bool = False
    check: rules.ReadingCheck | None = None

    @property
    def needs_confirmation(self) -> bool:
        return not self.errors and bool(self.warnings) and not self.entry.confirmed

    @property
    def ready(self) -> bool:
        return self.value is not None and not self.errors and not self.needs_confirmation


@dataclass(frozen=True)
class MeterFacts:
    meter: Meter
    state: rules.MeterState
    last_id: int | None  # the reading a same-day one replaces


def limits_of(utility: Utility | None) -> rules.Limits:
    if utility is None:
        return rules.Limits()
    return rules.Limits(warning_factor=utility.reading_warning_factor,
                        daily_ceiling=utility.daily_use_ceiling)


class _Stored(NamedTuple):
    id: int
    day: dt.date
    value: Decimal


def meter_facts(meter_ids: Iterable[int], today: dt.date) -> dict[int, MeterFacts]:
    """What the rules need of each meter, in a few queries for any number of meters
    (plain rows, not objects: a mass view checks hundreds of meters at once)."""
    ids = sorted(set(meter_ids))
    if not ids:
        return {}
    meters = db.session.scalars(select(Meter).where(Meter.id.in_(ids))).all()
    history: dict[int, list[_Stored]] = defaultdict(list)
    for meter_id, reading_id, day, value in db.session.execute(
        select(Reading.meter_id, Reading.id, Reading.reading_date, Reading.value).where(
            Reading.meter_id.in_(ids),
            Reading.replaced_by_id.is_(None),
            Reading.reading_date >= today - HISTORY_WINDOW,
        ).order_by(Reading.reading_date, Reading.measured_at.nulls_last(), Reading.id)
    ):
        history[meter_id].append(_Stored(reading_id, day, value))
    older = latest_readings([m.id for m in meters if not history[m.id]])
    facts = {}
    for meter in meters:
        own = history[meter.id] or (
            [_Stored(older[meter.id].id, older[meter.id].reading_date, older[meter.id].value)]
            if meter.id in older else [])
        last = own[-1] if own else None
        previous = None
        if last is not None:
            previous = next((r for r in reversed(own) if r.day < last.day),
                            None) or _before(meter.id, last.day)
        state = rules.MeterState(
            active=meter.status == MeterStatus.ACTIVE,
            installed_on=meter.installed_on,
            needs_verification=rules.needs_verification(meter.kind.value),
            verified_until=meter.verified_until,
            last=_past(last),
            previous=_past(previous),
            average_daily_use=rules.average_daily_use(own),
        )
        facts[meter.id] = MeterFacts(meter, state, last.id if last else None)
    return facts


def _before(meter_id: int, day: dt.date) -> _Stored | None:
    row = db.session.execute(
        select(Reading.id, Reading.reading_date, Reading.value)
        .where(Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None),
               Reading.reading_date < day)
        .order_by(Reading.reading_date.desc(), Reading.id.desc()).limit(1)
    ).first()
    return _Stored(*row) if row else None


def _past(reading: _Stored | None) -> rules.PastReading | None:
    return rules.PastReading(reading.day, reading.value) if reading else None


VALUE_MESSAGES = {
    rules.ValueProblem.EMPTY: _l("Enter the reading."),
    rules.ValueProblem.NOT_A_NUMBER: _l("Enter the reading as a number, for example 1234,567."),
    rules.ValueProblem.NEGATIVE: _l("A reading cannot be negative."),
    rules.ValueProblem.TOO_MANY_DECIMALS: _l("Use at most three decimal places."),
    rules.ValueProblem.TOO_LARGE: _l("The number is too large for a meter reading."),
}


def finding_message(finding: rules.Finding, utility: Utility | None = None) -> str:
    """A finding of the rules as a sentence in the reader's language."""
    params = finding.params
    code = finding.code
    if code is rules.Problem.METER_REMOVED:
        return str(_l("This meter has been removed: no readings can be entered."))
    if code is rules.Problem.VERIFICATION_EXPIRED:
        contact = (utility.phone or utility.email or utility.name) if utility else ""
        if params.get("until"):
            return str(_l("The verification of this meter expired on %(day)s: the reading "
                          "cannot be accepted until the utility verifies it. Please call "
                          "%(contact)s.", day=format_day(params["until"]),  # type: ignore[arg-type]
                          contact=contact))
        return str(_l("This meter has no valid verification: the reading cannot be accepted "
                      "until the utility verifies it. Please call %(contact)s.",
                      contact=contact))
    if code is rules.Problem.DATE_IN_FUTURE:
        return str(_l("The date cannot be in the future."))
    if code is rules.Problem.DATE_BEFORE_INSTALLATION:
        return str(_l("The meter was installed on %(day)s: the date cannot be earlier.",
                      day=format_day(params["day"])))  # type: ignore[arg-type]
    if code is rules.Problem.DATE_BEFORE_LAST:
        return str(_l("The meter's last reading is dated %(day)s: the date cannot be earlier.",
                      day=format_day(params["day"])))  # type: ignore[arg-type]
    if code is rules.Problem.BELOW_LAST:
        return str(_l("The reading cannot be lower than the last one, %(value)s m³ on %(day)s.",
                      value=format_volume(params["value"]),  # type: ignore[arg-type]
                      day=format_day(params["day"])))  # type: ignore[arg-type]
    if code is rules.ReadingWarning.UNUSUALLY_HIGH:
        return str(_l("This reading means %(use)s m³ since %(day)s, more than %(factor)s times "
                      "the usual %(expected)s m³ for that time. Check the number; if it is "
                      "right, confirm it.", use=format_volume(params["use"]),  # type: ignore[arg-type]
                      day=format_day(params["since"]),  # type: ignore[arg-type]
                      factor=format_volume(params["factor"], 0),  # type: ignore[arg-type]
                      expected=format_volume(params["expected"])))  # type: ignore[arg-type]
    # rules.ReadingWarning.ABOVE_DAILY_CEILING
    return str(_l("This reading means %(use)s m³ since %(day)s, more than %(ceiling)s m³ a "
                  "day. Check the number; if it is right, confirm it.",
                  use=format_volume(params["use"]),  # type: ignore[arg-type]
                  day=format_day(params["since"]),  # type: ignore[arg-type]
                  ceiling=format_volume(params["ceiling"])))  # type: ignore[arg-type]


def check_entries(actor: Actor, entries: Sequence[Entry], utility: Utility | None,
                  today: dt.date) -> list[RowOutcome]:
    """Judge every row by the rules; a meter the person may not read is 404."""
    return judge_entries(actor, entries, utility, today)[0]


def judge_entries(actor: Actor, entries: Sequence[Entry], utility: Utility | None,
                  today: dt.date) -> tuple[list[RowOutcome], dict[int, MeterFacts]]:
    """``check_entries`` and the facts it judged by, which saving needs too."""
    facts = meter_facts([entry.meter_id for entry in entries], today)
    allowed = set(reading_site_ids(actor))
    limits = limits_of(utility)
    outcomes = []
    for entry in entries:
        known = facts.get(entry.meter_id)
        if known is None or known.meter.site_id not in allowed \
                or known.meter.kind in READ_REMOTELY:
            abort(404)
        outcome = RowOutcome(entry)
        try:
            outcome.value = rules.parse_reading_value(entry.text)
        except rules.InvalidValue as invalid:
            outcome.errors.append(str(VALUE_MESSAGES[invalid.problem]))
            outcomes.append(outcome)
            continue
        check = rules.check_reading(known.state, outcome.value, entry.day, today, limits)
        outcome.check = check
        outcome.errors += [finding_message(f, utility) for f in check.errors]
        outcome.warnings += [finding_message(f, utility) for f in check.warnings]
        outcomes.append(outcome)
    return outcomes, facts


# --------------------------------------------------------------------------- saving


@dataclass(frozen=True)
class Submission:
    outcomes: tuple[RowOutcome, ...]
    repeated: bool = False  # this form had been sent before: nothing new was saved

    @property
    def saved(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if outcome.saved]

    @property
    def pending(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.saved]


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def already_sent(token: str) -> bool:
    return db.session.scalar(
        select(ReadingSubmission.id).where(ReadingSubmission.token == token)
    ) is not None


def submit_readings(actor: Actor, entries: Sequence[Entry], channel: ReadingChannel,
                    token: str, utility: Utility | None, today: dt.date) -> Submission:
    """Save every row that breaks no rule and has no unconfirmed warning; flush only.

    The form's token is stored with the readings in the same transaction: a
    second press of the same form saves nothing (the unique token refuses it).
    """
    if already_sent(token):
        return Submission(outcomes=(), repeated=True)
    outcomes, facts = judge_entries(actor, entries, utility, today)
    saved = save_ready(actor, outcomes, facts, channel)
    if saved:
        db.session.add(ReadingSubmission(token=token, person_id=actor.person_id,
                                         channel=channel, saved=saved))
        try:
            db.session.flush()
        except IntegrityError:  # the same form, sent twice at the same moment
            db.session.rollback()
            return Submission(outcomes=(), repeated=True)
    return Submission(outcomes=tuple(outcomes))


def save_ready(actor: Actor, outcomes: Sequence[RowOutcome], facts: dict[int, MeterFacts],
               channel: ReadingChannel) -> int:
    """Insert the readings of the rows that are ready, as one executemany (a mass view
    or an API call sends up to a thousand); a same-day reading marks the one it
    replaces (kept in the history). Flush only. Returns how many were saved.
    At most one row per meter: two would replace the same reading."""
    ready = [o for o in outcomes if o.ready and o.value is not None and o.check is not None]
    if len({o.entry.meter_id for o in ready}) != len(ready):
        raise ValueError("one reading per meter in a submission")
    sent_at = dt.datetime.now(dt.UTC)

    def row(outcome: RowOutcome) -> dict[str, object]:
        return {"meter_id": outcome.entry.meter_id, "value": outcome.value,
                "reading_date": outcome.entry.day, "channel": channel,
                "submitted_by_id": actor.person_id, "submitted_at": sent_at}

    def replaces(outcome: RowOutcome) -> int | None:
        last = facts[outcome.entry.meter_id].last_id
        return last if outcome.check is not None and outcome.check.replaces_same_day else None

    fresh = [o for o in ready if replaces(o) is None]
    again = [o for o in ready if replaces(o) is not None]
    if fresh:
        db.session.execute(insert(Reading), [row(o) for o in fresh])
    if again:
        new_ids = db.session.scalars(
            insert(Reading).returning(Reading.id, sort_by_parameter_order=True),
            [row(o) for o in again]).all()
        db.session.execute(update(Reading), [
            {"id": replaces(o), "replaced_by_id": new_id}
            for o, new_id in zip(again, new_ids, strict=True)])
    for outcome in ready:
        outcome.saved = True
    return len(ready)


# --------------------------------------------------------------------------- CSV preview

LOOKUP_CHUNK = 500  # meter numbers per query: within every database's parameter limit


def preview_csv(actor: Actor, listing: ReadingsList, parsed: csv_readings.ParsedCsv,
                utility: Utility | None, today: dt.date
                ) -> tuple[dict[int, RowOutcome], list[tuple[int, str, str]]]:
    """The rows of a CSV file that fill the mass view, and the rejected ones with their
    line number and reason (ITB 1.2.1). Nothing is saved: the person sends the list."""
    mine = {row.number.casefold(): row for row in listing.rows}
    rejected: list[tuple[int, str, str]] = []
    matched: list[tuple[int, str, Entry]] = []
    unknown = [row.meter_number for row in parsed.rows if row.meter_number.casefold() not in mine]
    elsewhere = {number.casefold() for chunk in range(0, len(unknown), LOOKUP_CHUNK)
                 for number in db.session.scalars(select(Meter.number).where(
                     Meter.number.in_(unknown[chunk:chunk + LOOKUP_CHUNK])))}
    not_yours, unknown_meter = str(_l("not your meter")), str(_l("unknown meter"))
    remote = str(_l("a smart meter sends its readings itself"))
    for row in parsed.rows:
        meter = mine.get(row.meter_number.casefold())
        if meter is None:
            reason = not_yours if row.meter_number.casefold() in elsewhere else unknown_meter
            rejected.append((row.line, row.meter_number, reason))
        elif meter.read_remotely:
            rejected.append((row.line, row.meter_number, remote))
        else:
            matched.append((row.line, row.meter_number,
                            Entry(meter.meter_id, row.reading, row.day or today)))
    outcomes: dict[int, RowOutcome] = {}
    checked = check_entries(actor, [entry for _, _, entry in matched], utility, today)
    for (line, number, _entry), outcome in zip(matched, checked, strict=True):
        if outcome.errors:
            rejected.append((line, number, "; ".join(outcome.errors)))
        else:
            outcomes[outcome.entry.meter_id] = outcome
    return outcomes, rejected


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryLine:
    reading: Reading
    use: Decimal | None  # since the previous current reading
    replaced: bool


def readable_meter(actor: Actor, meter_id: int) -> Meter:
    """A meter at one of the person's sites whose history they may see; else 404."""
    meter = db.session.get(Meter, meter_id)
    if meter is None or not can(actor, Action.VIEW_READINGS, meter.site_id):
        abort(404)
    return meter


def submittable_meter(actor: Actor, meter_id: int) -> Meter:
    """A meter the person may send a reading for through the portal; else 404."""
    meter = db.session.get(Meter, meter_id)
    if meter is None or meter.kind in READ_REMOTELY \
            or not can(actor, Action.SUBMIT_READING, meter.site_id):
        abort(404)
    return meter


def history(meter: Meter) -> list[HistoryLine]:
    """The meter's readings, newest first, with the use since the previous one."""
    readings = db.session.scalars(
        select(Reading).where(Reading.meter_id == meter.id)
        .options(selectinload(Reading.submitted_by))
        .order_by(Reading.reading_date, Reading.measured_at.nulls_last(), Reading.id)
    ).all()
    lines = []
    previous: Reading | None = None
    for reading in readings:
        current = reading.replaced_by_id is None
        use = reading.value - previous.value if current and previous is not None else None
        lines.append(HistoryLine(reading, use, replaced=not current))
        if current:
            previous = reading
    lines.reverse()
    return lines
