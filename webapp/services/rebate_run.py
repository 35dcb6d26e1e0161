"""The season run (ELVESO 3.4): after the watering period the utility computes the
rebate of every application in force for the season, stores each decision with the
case it was computed from, and books its refund as a prepayment for the next
invoice.

Safe to run twice: a decision whose inputs are unchanged is kept as it is; one whose
inputs changed (a corrected reading, a raised cap) is replaced, the old one kept as
history, and the credit booked is the difference, so the credits of a site and
season always add up to its current decision's refund.

The work goes in chunks of applications, each chunk in one transaction with its
decisions and credits together, its progress committed with it: a run that stops
half way leaves whole decisions, and running it again finishes the rest. One run
goes at a time (a partial unique index on ``rebate_run``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, or_, select, update

from webapp.domain.rebate_cases import case_json, decision_json
from webapp.domain.rebates import InvalidCase, RebateDecision, evaluate
from webapp.domain.rule_sets import RuleSet
from webapp.extensions import db
from webapp.models import (
    RebateApplication,
    RebateCredit,
    RebateDecisionRecord,
    RebateJointApplicant,
    RebateRun,
    RebateRunStatus,
    RebateStatus,
    Site,
    Utility,
)
from webapp.models.base import UTCDateTime, canonical_json, utcnow
from webapp.models.enums import JOINT_HOUSE_TYPES
from webapp.services import runs
from webapp.services.audit import record
from webapp.services.rebate_data import (
    CaseLoader,
    Terms,
    chunks,
    in_ids,
    price_day,
    sewer_price_on,
)
from webapp.services.rebates import RebateRefusal, latest_ended_season, season_rule_set

RUN_CHUNK = 1000  # applications a transaction
# Applications that count in a run: approved, and not refused since (an application
# withdrawn or replaced later still counts for the seasons it covers).
_COUNTED = (RebateStatus.APPROVED, RebateStatus.WITHDRAWN, RebateStatus.SUPERSEDED)

Progress = Callable[[int, int], None]  # (done, total)


class RunRefused(RebateRefusal):
    """A run that cannot start (no rules, no price, a season not over, one going)."""


@dataclass
class RunSummary:
    season: int
    rule_set: str
    sewer_price: Decimal
    applications: int = 0
    eligible: int = 0
    refused: int = 0
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    volume_m3: Decimal = Decimal("0.000")
    refund_eur: Decimal = Decimal("0.00")
    credited_eur: Decimal = Decimal("0.00")  # booked by this run (corrections included)
    waiting_review: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # failed check id: decisions
    clauses: dict[str, str] = field(default_factory=dict)
    # Applications whose readings cannot be judged (a meter running backwards): no
    # decision is made or changed for them until the readings are put right.
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "season": self.season, "rule_set": self.rule_set,
            "sewer_price": str(self.sewer_price),
            "applications": self.applications, "eligible": self.eligible,
            "refused": self.refused, "new": self.new, "replaced": self.replaced,
            "unchanged": self.unchanged, "volume_m3": str(self.volume_m3),
            "refund_eur": str(self.refund_eur), "credited_eur": str(self.credited_eur),
            "waiting_review": self.waiting_review,
            "errors": self.errors,
            "refusals": [{"check": check, "clause": self.clauses.get(check, ""),
                          "count": count}
                         for check, count in sorted(self.refusals.items(),
                                                    key=lambda item: (-item[1], item[0]))],
        }




# --------------------------------------------------------------------------- starting


def check_season(utility: Utility, season: int, today: dt.date) -> tuple[RuleSet, Decimal]:
    """The rule set and sewer price of the season, or ``RunRefused`` saying why not."""
    rule_set = season_rule_set(utility, season)
    if season > latest_ended_season(rule_set, today):
        raise RunRefused(_("The watering period of %(season)s has not ended yet: the rebate "
                           "is computed after it (ELVESO 3.4).", season=season), ["season"])
    if not rule_set.governs(season):
        raise RunRefused(_("No rule set of the utility was in force for the %(season)s "
                           "season.", season=season), ["season"])
    price = sewer_price_on(utility.id, price_day(rule_set, season))
    if price is None:
        raise RunRefused(_("There is no sewer price in force on %(day)s: add it on the "
                           "settings page first.", day=price_day(rule_set, season)
                           .strftime("%d.%m.%Y")), ["season"])
    return rule_set, price


def begin_run(utility: Utility, season: int, today: dt.date,
              started_by_id: int | None) -> RebateRun:
    """Record a new run as going; ``RunRefused`` when another one is. The caller commits."""
    check_season(utility, season, today)
    try:
        run: RebateRun = runs.begin(RebateRun, season=season, started_by_id=started_by_id)
    except runs.Busy:
        raise RunRefused(_("A season run is going already; wait for it to finish.")) from None
    return run


# --------------------------------------------------------------------------- the work


@dataclass(frozen=True)
class CountedApplication:
    """What the run needs of an application, read once: the run commits a chunk at a
    time, and a committed ORM object would be read again, one query each."""

    id: int
    site_id: int
    site_code: str
    customer_id: int
    terms: Terms


def counted_applications(season: int) -> list[CountedApplication]:
    """The applications counting for ``season``: one a site (the latest if the dates
    of two ever overlap). Read as plain rows: a hundred thousand ORM objects would
    cost more than the calculation."""
    rows = db.session.execute(
        select(RebateApplication.id, RebateApplication.site_id, Site.code,
               RebateApplication.customer_id, RebateApplication.method,
               RebateApplication.house_type, RebateApplication.sub_meter_number,
               RebateApplication.cap_m3)
        .join(Site, Site.id == RebateApplication.site_id)
        .where(RebateApplication.status.in_(_COUNTED),
               RebateApplication.reviewed_at.is_not(None),
               RebateApplication.refusal_ground.is_(None),
               RebateApplication.first_season <= season,
               or_(RebateApplication.last_season.is_(None),
                   RebateApplication.last_season >= season))
        .order_by(RebateApplication.site_id, RebateApplication.id)
    ).all()
    by_site = {row.site_id: row for row in rows}
    joint = _joint_confirmed([row.id for row in by_site.values()
                              if row.house_type in JOINT_HOUSE_TYPES])
    counted = []
    for row in sorted(by_site.values(), key=lambda item: item.id):
        terms = Terms(row.site_id, row.customer_id, row.method, row.house_type,
                      joint.get(row.id, False), row.sub_meter_number, row.cap_m3)
        counted.append(CountedApplication(row.id, row.site_id, row.code, row.customer_id, terms))
    return counted


def _joint_confirmed(application_ids: list[int]) -> dict[int, bool]:
    """Whether every co-applicant of each application has confirmed it (ELVESO 2.1.3)."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(RebateJointApplicant.application_id, func.count(),
               func.count(RebateJointApplicant.confirmed_at))
        .where(in_ids(RebateJointApplicant.application_id, application_ids))
        .group_by(RebateJointApplicant.application_id))
    return {application_id: named == confirmed
            for application_id, named, confirmed in rows}


def _waiting(season: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RebateApplication)
        .where(RebateApplication.status.in_((RebateStatus.SUBMITTED,
                                              RebateStatus.AWAITING_JOINT)),
               RebateApplication.first_season <= season)) or 0


@dataclass(frozen=True)
class _Current:
    id: int
    application_id: int
    digest: str


def _current(site_ids: Sequence[int], season: int) -> dict[int, _Current]:
    rows = db.session.execute(
        select(RebateDecisionRecord.site_id, RebateDecisionRecord.id,
               RebateDecisionRecord.application_id, RebateDecisionRecord.inputs_digest)
        .where(in_ids(RebateDecisionRecord.site_id, site_ids),
               RebateDecisionRecord.season == season,
               RebateDecisionRecord.superseded_at.is_(None)))
    return {site_id: _Current(id_, application_id, digest)
            for site_id, id_, application_id, digest in rows}


def _credited(site_ids: Sequence[int], season: int) -> dict[int, Decimal]:
    rows = db.session.execute(
        select(RebateCredit.site_id, func.sum(RebateCredit.amount_eur))
        .where(in_ids(RebateCredit.site_id, site_ids), RebateCredit.season == season)
        .group_by(RebateCredit.site_id))
    return {site_id: Decimal(total).quantize(Decimal("0.01")) for site_id, total in rows}


def run_season(run: RebateRun, utility: Utility, today: dt.date,
               progress: Progress | None = None, acting_as: str = "operator") -> RunSummary:
    """Compute every application of ``run.season`` and book the credits, committing
    each chunk; the run record ends finished with its summary."""
    season, run_id = run.season, run.id
    rule_set, price = check_season(utility, season, today)
    applications = counted_applications(season)
    summary = RunSummary(season, rule_set.id, price, waiting_review=_waiting(season))
    summary.applications = len(applications)
    run.total = len(applications)
    db.session.commit()
    if progress:
        progress(0, run.total)
    loader = CaseLoader(rule_set, season, today, price)
    done = 0
    for chunk in chunks(applications, RUN_CHUNK):
        _run_chunk(run_id, season, loader, chunk, summary)
        done += len(chunk)
        run.processed = done
        run.heartbeat_at = utcnow()
        db.session.commit()
        if progress:
            progress(done, run.total)
    run.status = RebateRunStatus.FINISHED
    run.finished_at = utcnow()
    run.summary = summary.as_json()
    record("run_rebate_season", "rebate_run", run.id,
           acting_as=acting_as,
           actor_id=run.started_by_id, after=run.summary)
    db.session.commit()
    return summary


def _run_chunk(run_id: int, season: int, loader: CaseLoader, chunk: Sequence[CountedApplication],
               summary: RunSummary) -> None:
    site_ids = [application.site_id for application in chunk]
    current = _current(site_ids, season)
    credited = _credited(site_ids, season)
    cases = loader.cases([application.terms for application in chunk])
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    replaced: list[int] = []
    for application, case in zip(chunk, cases, strict=True):
        try:
            decision = evaluate(case)
        except InvalidCase as error:
            summary.errors.append({"application": application.id,
                                   "site": application.site_code, "problem": str(error)})
            continue
        _count(summary, decision)
        inputs = canonical_json(case_json(case))  # stored as it is hashed
        digest = hashlib.sha256(inputs.encode()).hexdigest()
        before = current.get(application.site_id)
        if before is not None and before.digest == digest and (
                before.application_id == application.id):
            summary.unchanged += 1
            continue
        if before is not None:
            replaced.append(before.id)
            summary.replaced += 1
        else:
            summary.new += 1
        new_rows.append({
            "application_id": application.id, "site_id": application.site_id,
            "customer_id": application.customer_id, "season": season, "run_id": run_id,
            "rule_set": decision.rule_set, "method": decision.method,
            "eligible": decision.eligible, "volume_m3": decision.volume_m3,
            "refund_eur": decision.refund_eur, "sewer_price": case.sewer_price,
            "inputs": inputs, "inputs_digest": digest,
            "result": decision_json(decision, details=False),
            "computed_at": now,
        })
    if replaced:
        db.session.execute(update(RebateDecisionRecord)
                           .where(in_ids(RebateDecisionRecord.id, replaced))
                           .values(superseded_at=now))
    if not new_rows:
        return
    db.session.execute(insert(RebateDecisionRecord.__table__), new_rows)
    # Each new decision books its refund less what its site's season was credited
    # before: one statement for the chunk, the database adding up the earlier credits.
    decision = RebateDecisionRecord.__table__.c
    credited_before = (select(func.coalesce(func.sum(RebateCredit.amount_eur), 0))
                       .where(RebateCredit.site_id == decision.site_id,
                              RebateCredit.season == decision.season)
                       .scalar_subquery())
    # Rounded to the cent, as stored: SQLite would subtract in binary floating point.
    amount = func.round(decision.refund_eur - credited_before, 2)
    db.session.execute(insert(RebateCredit.__table__).from_select(
        ["decision_id", "customer_id", "site_id", "season", "amount_eur", "booked_at"],
        select(decision.id, decision.customer_id, decision.site_id, decision.season, amount,
               literal(now, UTCDateTime()))
        .where(decision.run_id == run_id, decision.season == season,
               decision.superseded_at.is_(None),
               in_ids(decision.site_id, [row["site_id"] for row in new_rows]),
               amount != 0)))
    for row in new_rows:  # the same sums, for the summary
        summary.credited_eur += row["refund_eur"] - credited.get(row["site_id"],
                                                                  Decimal("0.00"))


def _count(summary: RunSummary, decision: RebateDecision) -> None:
    if decision.eligible:
        summary.eligible += 1
        summary.volume_m3 += decision.volume_m3
        summary.refund_eur += decision.refund_eur
        return
    summary.refused += 1
    for check in decision.failed:
        summary.refusals[check.id] += 1
        summary.clauses.setdefault(check.id, check.clause)


# --------------------------------------------------------------------------- in the background


def fail_run(run_id: int, error: str) -> None:
    runs.fail(RebateRun, run_id, error)


def start_in_background(run_id: int, today: dt.date,
                        acting_as: str) -> threading.Thread | None:
    """Go on with a committed run in a thread of its own (``services/runs``)."""
    def work(run: RebateRun, utility: Utility, today: dt.date, acting_as: str) -> None:
        run_season(run, utility, today, acting_as=acting_as)

    return runs.start_in_background(RebateRun, work, run_id, today, acting_as)
