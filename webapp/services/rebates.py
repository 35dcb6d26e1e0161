"""Garden-water rebate applications (DOMAIN.md section 2): what a resident may apply
for, the preconditions shown before sending, sending, withdrawing, the co-applicants'
confirmations, and the utility's review.

Every function that writes asks the permission function, writes, records the audit
event and flushes; the route commits. A rule the request breaks raises
``RebateRefusal`` naming the form fields it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import selectinload

from webapp.domain import rebate_facts
from webapp.domain.permissions import Action, Actor, acting_role, can
from webapp.domain.rebates import RebateDecision, evaluate
from webapp.domain.rule_sets import CheckId, Method, RuleSet, load_rule_set, rule_set_for_season
from webapp.extensions import db
from webapp.models import (
    Customer,
    HouseType,
    MeterKind,
    MeterStatus,
    Person,
    RebateApplication,
    RebateDecisionRecord,
    RebateJointApplicant,
    RebateStatus,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.models.enums import JOINT_HOUSE_TYPES, OPEN_REBATE_STATUSES
from webapp.services import uploads
from webapp.services.access import contract_in_force, sites_where, today_in_tallinn
from webapp.services.audit import record
from webapp.services.backoffice import REBATE_REVIEW, purpose_text
from webapp.services.rebate_data import CaseLoader, Terms, price_day, sewer_price_on

ATTACHMENT_MAX_BYTES = 10 * uploads.MEGABYTE  # issue 7: at most 10 MB
MAX_JOINT_APPLICANTS = 5
NOTE_MAX = 1000
# An applicant sees at most this many decisions per application on its page.
DECISIONS_SHOWN = 20

MET, MISSING, UNDECIDED = "met", "missing", "undecided"
T = TypeVar("T", RebateApplication, RebateDecisionRecord)


class RebateRefusal(Exception):
    """What was asked breaks a rule; ``fields`` are the form fields it concerns."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


def active_rule_set(utility: Utility | None) -> RuleSet | None:
    """The utility's rule set in force, or None when it offers no rebates."""
    if utility is None or not utility.rebate_rule_set:
        return None
    return load_rule_set(utility.rebate_rule_set)


def season_rule_set(utility: Utility, season: int) -> RuleSet:
    if not utility.rebate_rule_set:
        raise RebateRefusal(_("The utility has no garden-water rebate rules in force."))
    return rule_set_for_season(utility.rebate_rule_set, season)


def latest_ended_season(rule_set: RuleSet, today: dt.date) -> int:
    """The latest season whose watering period has ended by ``today``."""
    year = today.year
    return year if today > rule_set.watering_window.last_day(year) else year - 1


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True)
class SubMeterInfo:
    number: str
    seal_number: str | None
    verified_until: dt.date | None


@dataclass(frozen=True)
class SiteOption:
    """A site where the person may apply, and what stands in the way if anything."""

    site: Site
    customer: Customer | None  # the holder of the contract in force
    open_application: RebateApplication | None
    sub_meters: tuple[SubMeterInfo, ...]
    problem: str | None  # why no application can be made here now

    @property
    def may_apply(self) -> bool:
        return self.problem is None


def site_options(actor: Actor, utility: Utility | None, today: dt.date,
                 only: int | None = None) -> list[SiteOption]:
    """The sites where ``actor`` may apply for a rebate (owners and managers, ITB 2)."""
    site_ids = sites_where(actor, Action.APPLY_FOR_REBATE)
    if only is not None:
        site_ids = [site_id for site_id in site_ids if site_id == only]
    if not site_ids or active_rule_set(utility) is None:
        return []
    sites = db.session.scalars(
        select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)
        .options(selectinload(Site.meters))
    ).all()
    holders = dict(db.session.execute(
        select(contract_site.c.site_id, ServiceContract.customer_id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(contract_site.c.site_id.in_(site_ids), contract_in_force(today))
    ).all())
    customers = {customer.id: customer for customer in db.session.scalars(
        select(Customer).where(Customer.id.in_(set(holders.values()))))}
    # The application in force of the customer who holds the site now (a previous
    # owner's is not the new owner's business, and ends when the new owner applies).
    open_ones = {application.site_id: application for application in db.session.scalars(
        select(RebateApplication).where(RebateApplication.site_id.in_(site_ids),
                                        RebateApplication.status.in_(OPEN_REBATE_STATUSES)))
        if holders.get(application.site_id) == application.customer_id}
    options = []
    for site in sites:
        main = [meter for meter in site.meters if meter.kind is not MeterKind.GARDEN_SUB_METER
                and meter.status is MeterStatus.ACTIVE]
        sub_meters = tuple(
            SubMeterInfo(meter.number, meter.seal_number, meter.verified_until)
            for meter in site.meters
            if meter.kind is MeterKind.GARDEN_SUB_METER and meter.status is MeterStatus.ACTIVE
        )
        customer = customers.get(holders.get(site.id, -1))
        problem = None
        if customer is None:
            problem = _("The site has no service contract in force.")
        elif len(main) != 1:
            problem = _("The rebate is calculated for a site with one main meter; this site "
                        "has %(count)s. Please contact the utility.", count=len(main))
        options.append(SiteOption(site, customer, open_ones.get(site.id), sub_meters, problem))
    return options


def site_option(actor: Actor, utility: Utility | None, site_id: int,
                today: dt.date) -> SiteOption:
    """The site if ``actor`` may apply there; else 404."""
    if not can(actor, Action.APPLY_FOR_REBATE, site_id):
        abort(404)
    options = site_options(actor, utility, today, only=site_id)
    if not options:
        abort(404)
    return options[0]


# --------------------------------------------------------------------------- the form


@dataclass(frozen=True)
class ApplicationInput:
    method: Method
    house_type: HouseType
    joint: tuple[tuple[str, str], ...] = ()  # (personal code, name) of the co-applicants
    sub_meter_number: str | None = None
    sub_meter_verified_until: dt.date | None = None
    sub_meter_seal: str | None = None
    installation_requested: bool = False


@dataclass(frozen=True)
class CheckLine:
    id: str
    clause: str
    state: str  # MET, MISSING or UNDECIDED


@dataclass(frozen=True)
class Preview:
    season: int
    rule_set: RuleSet
    lines: tuple[CheckLine, ...]
    decision: RebateDecision | None  # None: no sewer price to compute with

    @property
    def missing(self) -> tuple[CheckLine, ...]:
        return tuple(line for line in self.lines if line.state == MISSING)


def _decide(utility: Utility, rule_set: RuleSet, season: int, today: dt.date,
            terms: Sequence[Terms]) -> list[RebateDecision] | None:
    price = sewer_price_on(utility.id, price_day(rule_set, season))
    if price is None:
        return None
    loader = CaseLoader(rule_set, season, today, price)
    return [evaluate(case) for case in loader.cases(terms)]


def _lines(decision: RebateDecision, rule_set: RuleSet, today: dt.date) -> tuple[CheckLine, ...]:
    undecided = rebate_facts.undecided_checks(rule_set, decision.season, decision.method, today)
    return tuple(
        CheckLine(check.id, check.clause,
                  MET if check.passed else UNDECIDED if check.id in undecided else MISSING)
        for check in decision.checks
    )


def preview(utility: Utility, option: SiteOption, data: ApplicationInput,
            today: dt.date) -> Preview:
    """The preconditions as they stand for the first season the application would
    count for, in the words of the rule set (ELVESO 2.1, 3.6)."""
    rule_set = active_rule_set(utility)
    if rule_set is None or option.customer is None:
        abort(404)
    season = rebate_facts.first_season(today, covered_until(option, rule_set, today))
    rule_set = season_rule_set(utility, season)
    terms = Terms(option.site.id, option.customer.id, data.method, data.house_type,
                  joint_confirmed=False, sub_meter_number=data.sub_meter_number)
    decisions = _decide(utility, rule_set, season, today, [terms])
    if decisions is None:
        return Preview(season, rule_set, (), None)
    (decision,) = decisions
    lines = list(_lines(decision, rule_set, today))
    if terms.joint_required and data.joint:
        # The co-applicants confirm after sending: not missing, only not yet done.
        lines = [CheckLine(line.id, line.clause, UNDECIDED)
                 if line.id == CheckId.JOINT_APPLICATION and line.state == MISSING else line
                 for line in lines]
    return Preview(season, rule_set, tuple(lines), decision)


def covered_until(option: SiteOption, rule_set: RuleSet, today: dt.date) -> int | None:
    """The last season the site's earlier approved applications cover, the one in force
    counted as if it ended today (a new application replaces it): a new application
    counts from the season after, so that no season is decided twice. An application
    never approved, or refused, covered nothing."""
    approved = and_(RebateApplication.reviewed_at.is_not(None),
                    RebateApplication.refusal_ground.is_(None))
    ended = db.session.scalar(
        select(func.max(RebateApplication.last_season))
        .where(RebateApplication.site_id == option.site.id,
               RebateApplication.last_season.is_not(None), approved))
    current = option.open_application
    if current is not None and current.status is RebateStatus.APPROVED:
        ending = rebate_facts.last_season_on_ending(rule_set, today, current.first_season)
        ended = ending if ended is None else max(ended, ending)
    return ended


def _check_input(rule_set: RuleSet, option: SiteOption, data: ApplicationInput,
                 applicant: Person) -> None:
    if data.method not in rule_set.methods.allowed:
        raise RebateRefusal(_("The rules in force do not allow method %(method)s.",
                              method=data.method.value), ["method"])
    if data.method is Method.B and not data.installation_requested:
        if not data.sub_meter_number:
            raise RebateRefusal(
                _("Enter the garden sub-meter's number, or ask the utility to install one."),
                ["sub_meter_number"])
        if not data.sub_meter_seal:
            raise RebateRefusal(_("Enter the number of the sub-meter's seal."),
                                ["sub_meter_seal"])
    joint_needed = data.house_type in JOINT_HOUSE_TYPES
    if joint_needed and not data.joint:
        raise RebateRefusal(
            _("A semi-detached or terraced house applies jointly: name at least one "
              "co-applicant (ELVESO 2.1.3)."), ["joint"])
    codes = [code for code, _name in data.joint]
    if applicant.personal_code in codes:
        raise RebateRefusal(_("You are the applicant: name the other co-owners."), ["joint"])
    if len(set(codes)) != len(codes):
        raise RebateRefusal(_("A co-applicant is named twice."), ["joint"])
    current = option.open_application
    if current is not None and current.method is data.method:
        raise RebateRefusal(
            _("The site already has an application for method %(method)s in force; it "
              "stays valid for later seasons, so no new one is needed.",
              method=data.method.value), ["method"])


def submit(actor: Actor, utility: Utility, option: SiteOption, applicant: Person,
           data: ApplicationInput, attachment: uploads.Checked | None,
           today: dt.date) -> RebateApplication:
    """Send the application. One with another method replaces the site's application
    in force from the next season it does not cover (ELVESO 3.3, 4.1)."""
    if not can(actor, Action.APPLY_FOR_REBATE, option.site.id) or not option.may_apply:
        abort(404)
    rule_set = active_rule_set(utility)
    if rule_set is None or option.customer is None:
        abort(404)
    _check_input(rule_set, option, data, applicant)
    covered = covered_until(option, rule_set, today)
    # The site's application in force, the applicant's customer's or a previous
    # owner's, ends here: the new one replaces it (one in force per site).
    replaced = list(db.session.scalars(select(RebateApplication).where(
        RebateApplication.site_id == option.site.id,
        RebateApplication.status.in_(OPEN_REBATE_STATUSES))))
    for current in replaced:
        _end(current, RebateStatus.SUPERSEDED, rule_set, today)
    db.session.flush()  # the site's one open application is now the new one
    joint_needed = data.house_type in JOINT_HOUSE_TYPES
    now = utcnow()
    application = RebateApplication(
        site_id=option.site.id,
        customer_id=option.customer.id,
        applicant_id=applicant.id,
        rule_set=rule_set.id,
        method=data.method,
        house_type=data.house_type,
        first_season=rebate_facts.first_season(today, covered),
        sub_meter_number=data.sub_meter_number if data.method is Method.B else None,
        sub_meter_verified_until=(data.sub_meter_verified_until
                                  if data.method is Method.B else None),
        sub_meter_seal=data.sub_meter_seal if data.method is Method.B else None,
        installation_requested=data.method is Method.B and data.installation_requested,
        consent_given_at=now,
        submitted_at=now,
        status=RebateStatus.AWAITING_JOINT if joint_needed else RebateStatus.SUBMITTED,
        status_changed_at=now,
        joint_applicants=[RebateJointApplicant(personal_code=code, name=name)
                          for code, name in (data.joint if joint_needed else ())],
    )
    if attachment is not None:
        application.attachment = uploads.store(attachment, applicant.id)
    db.session.add(application)
    db.session.flush()
    for current in replaced:
        current.superseded_by_id = application.id
    record("apply_for_rebate", "rebate_application", application.id,
           acting_as=acting_role(actor, Action.APPLY_FOR_REBATE, option.site.id),
           subject_person_id=applicant.id,
           after=_summary(application))
    return application


def _summary(application: RebateApplication) -> dict[str, object]:
    return {
        "site": application.site.code if application.site else application.site_id,
        "method": application.method,
        "house_type": application.house_type,
        "first_season": application.first_season,
        "status": application.status,
        "joint_applicants": [joint.personal_code for joint in application.joint_applicants],
        "sub_meter_number": application.sub_meter_number,
        "installation_requested": application.installation_requested,
        "attachment_sha256": application.attachment.sha256 if application.attachment else None,
    }


def _end(application: RebateApplication, status: RebateStatus, rule_set: RuleSet,
         today: dt.date) -> None:
    """Withdrawn or replaced today: an approved application keeps the seasons whose
    watering period has ended (ELVESO 3.3); one never approved covered none."""
    now = utcnow()
    approved = application.reviewed_at is not None and application.refusal_ground is None
    application.status = status
    application.status_changed_at = now
    application.ended_at = now
    application.last_season = (
        rebate_facts.last_season_on_ending(rule_set, today, application.first_season)
        if approved else application.first_season - 1)


# --------------------------------------------------------------------------- the resident's pages


def _of_current_holder() -> ColumnElement[bool]:
    """SQL: the application is the customer's who holds the site's contract today. A new
    owner of a house is the owner of its site, not of the previous customer's papers."""
    holders = (select(contract_site.c.site_id, ServiceContract.customer_id)
               .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
               .where(contract_in_force(today_in_tallinn())))
    return tuple_(RebateApplication.site_id, RebateApplication.customer_id).in_(holders)


def application_for(actor: Actor, application_id: int) -> RebateApplication:
    """The application if ``actor`` may see it (owner or manager at its site, of the
    customer who holds the site now); else 404."""
    application = db.session.scalar(select(RebateApplication).where(
        RebateApplication.id == application_id, _of_current_holder()))
    if application is None or not can(actor, Action.APPLY_FOR_REBATE, application.site_id):
        abort(404)
    return application


def applications_of(actor: Actor) -> list[RebateApplication]:
    """Applications at the sites where ``actor`` may apply, newest first."""
    site_ids = sites_where(actor, Action.APPLY_FOR_REBATE)
    if not site_ids:
        return []
    return list(db.session.scalars(
        select(RebateApplication).where(RebateApplication.site_id.in_(site_ids),
                                        _of_current_holder())
        .order_by(RebateApplication.submitted_at.desc(), RebateApplication.id.desc())
        .options(selectinload(RebateApplication.site),
                 selectinload(RebateApplication.joint_applicants))
    ))


def decisions_of(application: RebateApplication) -> list[RebateDecisionRecord]:
    """The application's decisions, current ones first, newest season first."""
    return list(db.session.scalars(
        select(RebateDecisionRecord)
        .where(RebateDecisionRecord.application_id == application.id)
        .order_by(RebateDecisionRecord.season.desc(),
                  RebateDecisionRecord.superseded_at.is_not(None),
                  RebateDecisionRecord.id.desc())
        .limit(DECISIONS_SHOWN)
    ))


def decision_for(actor: Actor, decision_id: int) -> RebateDecisionRecord:
    decision = db.session.get(RebateDecisionRecord, decision_id)
    if decision is None:
        abort(404)
    application_for(actor, decision.application_id)  # 404 unless the visitor's
    return decision


def withdraw(actor: Actor, utility: Utility, application: RebateApplication,
             today: dt.date) -> None:
    """End the application (ELVESO 3.3: valid until withdrawn); seasons whose watering
    period has ended stay covered."""
    if not can(actor, Action.APPLY_FOR_REBATE, application.site_id):
        abort(404)
    if application.status not in OPEN_REBATE_STATUSES:
        raise RebateRefusal(_("This application is no longer in force."))
    before = application.status
    _end(application, RebateStatus.WITHDRAWN, load_rule_set(application.rule_set), today)
    record("withdraw_rebate_application", "rebate_application", application.id,
           acting_as=acting_role(actor, Action.APPLY_FOR_REBATE, application.site_id),
           subject_person_id=application.applicant_id,
           before={"status": before},
           after={"status": application.status, "last_season": application.last_season})
    db.session.flush()


# --------------------------------------------------------------------------- co-applicants


def joint_requests(person: Person) -> list[RebateJointApplicant]:
    """Joint applications naming ``person`` that wait for their confirmation."""
    return list(db.session.scalars(
        select(RebateJointApplicant).join(RebateJointApplicant.application)
        .where(RebateJointApplicant.personal_code == person.personal_code,
               RebateJointApplicant.confirmed_at.is_(None),
               RebateApplication.status == RebateStatus.AWAITING_JOINT)
        .options(selectinload(RebateJointApplicant.application)
                 .selectinload(RebateApplication.site))
    ))


def joint_requests_waiting(person: Person) -> bool:
    return bool(db.session.scalar(select(exists().where(
        RebateJointApplicant.personal_code == person.personal_code,
        RebateJointApplicant.confirmed_at.is_(None),
        RebateJointApplicant.application_id == RebateApplication.id,
        RebateApplication.status == RebateStatus.AWAITING_JOINT))))


def joint_request(actor: Actor, person: Person, application_id: int) -> RebateJointApplicant:
    """The person's place in the application, if it names them; else 404."""
    if not can(actor, Action.CONFIRM_JOINT_APPLICATION):
        abort(404)
    joint = db.session.scalar(
        select(RebateJointApplicant).where(
            RebateJointApplicant.application_id == application_id,
            RebateJointApplicant.personal_code == person.personal_code))
    if joint is None:
        abort(404)
    return joint


def confirm_joint(actor: Actor, person: Person, joint: RebateJointApplicant) -> None:
    """The co-applicant confirms (ELVESO 2.1.3); with the last confirmation the
    application goes to the utility's review."""
    if not can(actor, Action.CONFIRM_JOINT_APPLICATION):
        abort(404)
    application = joint.application
    if application.status is not RebateStatus.AWAITING_JOINT:
        raise RebateRefusal(_("This application is no longer waiting for confirmations."))
    if joint.confirmed_at is not None:
        raise RebateRefusal(_("You have already confirmed this application."))
    joint.confirmed_at = utcnow()
    joint.person_id = person.id
    if application.joint_confirmed:
        application.status = RebateStatus.SUBMITTED
        application.status_changed_at = utcnow()
    record("confirm_joint_rebate_application", "rebate_application", application.id,
           acting_as="self", subject_person_id=person.id,
           after={"status": application.status})
    db.session.flush()


# --------------------------------------------------------------------------- staff review

QUEUE_STATUSES = (RebateStatus.SUBMITTED, RebateStatus.AWAITING_JOINT, RebateStatus.APPROVED,
                  RebateStatus.REFUSED, RebateStatus.WITHDRAWN, RebateStatus.SUPERSEDED)


def _staff(actor: Actor, action: Action = Action.STAFF_REVIEW_REBATES) -> None:
    if not can(actor, action):
        abort(404)


def queue(actor: Actor, status: RebateStatus | None,
          search: str | None = None) -> Select[tuple[RebateApplication]]:
    """Applications for the staff, oldest waiting first."""
    _staff(actor)
    query = (select(RebateApplication)
             .join(RebateApplication.site)
             .options(selectinload(RebateApplication.site),
                      selectinload(RebateApplication.customer).selectinload(Customer.person),
                      selectinload(RebateApplication.customer).selectinload(Customer.company),
                      selectinload(RebateApplication.joint_applicants)))
    if status is not None:
        query = query.where(RebateApplication.status == status)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(or_(Site.code.ilike(pattern), Site.address.ilike(pattern)))
    return query.order_by(RebateApplication.submitted_at, RebateApplication.id)


def queue_counts(actor: Actor) -> dict[str, int]:
    """Applications by status (its value)."""
    _staff(actor)
    rows = db.session.execute(select(RebateApplication.status, func.count())
                              .group_by(RebateApplication.status))
    return {status.value: count for status, count in rows}


def for_staff(actor: Actor, model: type[T], object_id: int) -> T:
    """An application or decision for the staff who review them; else 404."""
    _staff(actor)
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def review_season(application: RebateApplication, rule_set: RuleSet, today: dt.date) -> int:
    """The season the staff see the checks of: the latest one ended (or the first the
    application counts for, if later), within the seasons it covers."""
    season = max(application.first_season, latest_ended_season(rule_set, today))
    if application.last_season is not None:
        season = min(season, application.last_season)
    return max(season, application.first_season)


@dataclass(frozen=True)
class Review:
    application: RebateApplication
    season: int
    rule_set: RuleSet
    lines: tuple[CheckLine, ...]
    decision: RebateDecision | None
    decisions: tuple[RebateDecisionRecord, ...]


def review(actor: Actor, utility: Utility, application: RebateApplication,
           today: dt.date) -> Review:
    """The application with its automatic checks; the look is on the audit trail."""
    _staff(actor)
    rule_set = load_rule_set(application.rule_set)
    season = review_season(application, rule_set, today)
    rule_set = season_rule_set(utility, season)
    decisions = _decide(utility, rule_set, season, today, [Terms.of(application)])
    decision = decisions[0] if decisions else None
    lines = _lines(decision, rule_set, today) if decision is not None else ()
    record("view_rebate_application", "rebate_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_REVIEW_REBATES),
           subject_person_id=application.applicant_id,
           purpose=purpose_text(REBATE_REVIEW, None))
    return Review(application, season, rule_set, lines, decision,
                  tuple(decisions_of(application)))


def _reviewable(application: RebateApplication) -> None:
    if application.status not in (RebateStatus.SUBMITTED, RebateStatus.AWAITING_JOINT,
                                  RebateStatus.APPROVED):
        raise RebateRefusal(_("This application is no longer in force: it cannot be "
                              "reviewed."))


def approve(actor: Actor, application: RebateApplication) -> None:
    _staff(actor)
    if application.status is not RebateStatus.SUBMITTED:
        raise RebateRefusal(
            _("Only an application waiting for review can be approved.") if
            application.status is not RebateStatus.AWAITING_JOINT else
            _("The co-applicants have not all confirmed the application yet (ELVESO 2.1.3)."))
    _decide_review(actor, application, RebateStatus.APPROVED, "approve_rebate_application")


def refusal_grounds(rule_set: RuleSet, method: Method) -> list[tuple[str, str]]:
    """The grounds a refusal may cite: the rule set's list (ELVESO 3.6.1-3.6.7), as
    (check id, clause)."""
    return [(check.value, rule.clause) for check, rule in rule_set.refusal_grounds.items()
            if method in rule.methods]


def refuse(actor: Actor, application: RebateApplication, ground: str, note: str) -> None:
    _staff(actor)
    _reviewable(application)
    rule_set = load_rule_set(application.rule_set)
    if ground not in dict(refusal_grounds(rule_set, application.method)):
        raise RebateRefusal(_("Choose a ground from the rules' list."), ["ground"])
    application.refusal_ground = ground
    application.review_note = note.strip()[:NOTE_MAX] or None
    _decide_review(actor, application, RebateStatus.REFUSED, "refuse_rebate_application")


def _decide_review(actor: Actor, application: RebateApplication, status: RebateStatus,
                   action: str) -> None:
    before = application.status
    now = utcnow()
    application.status = status
    application.status_changed_at = now
    application.reviewed_at = now
    application.reviewed_by_id = actor.person_id
    record(action, "rebate_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_REVIEW_REBATES),
           subject_person_id=application.applicant_id,
           before={"status": before},
           after={"status": status, "refusal_ground": application.refusal_ground,
                  "note": application.review_note},
           purpose=purpose_text(REBATE_REVIEW, None))
    db.session.flush()


def raise_cap(actor: Actor, application: RebateApplication, cap_m3: Decimal,
              justification: str) -> None:
    """ELVESO 2.2: the utility may raise the cap for a customer on a justified
    application; only above the rule set's cap, and only where it has one."""
    _staff(actor)
    _reviewable(application)
    rule_set = load_rule_set(application.rule_set)
    cap = rule_set.caps.get(application.method)
    if cap is None:
        raise RebateRefusal(_("The rules have no cap for this method: there is nothing to "
                              "raise."), ["cap_m3"])
    if cap_m3 <= cap.m3:
        raise RebateRefusal(_("The raised cap must be more than the rules' %(cap)s m³.",
                              cap=cap.m3), ["cap_m3"])
    if not justification.strip():
        raise RebateRefusal(_("Give the justification for raising the cap."),
                            ["justification"])
    before = application.cap_m3
    application.cap_m3 = cap_m3
    application.cap_justification = justification.strip()[:NOTE_MAX]
    record("raise_rebate_cap", "rebate_application", application.id,
           acting_as=acting_role(actor, Action.STAFF_REVIEW_REBATES),
           subject_person_id=application.applicant_id,
           before={"cap_m3": before}, after={"cap_m3": cap_m3,
                                             "justification": application.cap_justification},
           purpose=purpose_text(REBATE_REVIEW, None))
    db.session.flush()


