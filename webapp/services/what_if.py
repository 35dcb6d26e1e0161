"""The council's what-if report (issue 10 item 5): the last season's real applications
and readings evaluated under a rule set as it is and as proposed.

Personal data are read here, with the season run's own bulk loader (``CaseLoader``),
and only the aggregates of ``domain.what_if.Impact`` leave: no name, site or
customer id reaches the page or the PDF.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.domain.rebates import RebateCase
from webapp.domain.rule_sets import Effective, RuleSet
from webapp.domain.what_if import (
    Impact,
    Proposal,
    Subject,
    changed_rule_set,
    compare,
    with_rule_set,
)
from webapp.extensions import db
from webapp.models import RebateApplication, Utility
from webapp.services.rebate_data import CaseLoader, Terms, price_day, sewer_price_on
from webapp.services.rebate_run import counted_applications
from webapp.services.rebates import RebateRefusal, latest_ended_season

# A what-if asks what the rules would do to the season, whatever their effective
# dates say (TV-2016's ended in 2019): both rule sets are taken as in force.
_ALWAYS = Effective(start=dt.date(1900, 1, 1), clause="what-if")


class NoSeason(RebateRefusal):
    """Nothing to compute over: no applications, or no sewer price."""


@dataclass(frozen=True)
class WhatIfReport:
    rule_set: RuleSet  # as it is
    changed: RuleSet  # as proposed
    season: int
    sewer_price: Decimal
    impact: Impact


def in_force(rule_set: RuleSet) -> RuleSet:
    return dataclasses.replace(rule_set, effective=_ALWAYS)


def report_season(rule_set: RuleSet, today: dt.date) -> int:
    """The latest season whose watering period has ended and which has applications
    (the season run's own choice of season); ``NoSeason`` when none has."""
    season = latest_ended_season(rule_set, today)
    first = db.session.scalar(select(func.min(RebateApplication.first_season))
                              .where(RebateApplication.reviewed_at.is_not(None)))
    if first is None or first > season:
        raise NoSeason(_("There are no approved garden-water rebate applications for a "
                         "season that has ended: there is nothing to compute over."))
    return season


def what_if(utility: Utility, rule_set: RuleSet, proposal: Proposal,
            today: dt.date) -> WhatIfReport:
    """The report of ``proposal`` (``ProposalError`` if it is malformed) over the last
    season's applications of ``utility``."""
    changed = in_force(changed_rule_set(rule_set, proposal))
    baseline = in_force(rule_set)
    season = report_season(baseline, today)
    price = sewer_price_on(utility.id, price_day(baseline, season))
    if price is None:
        raise NoSeason(_("There is no sewer price in force on %(day)s: add it on the "
                         "settings page first.", day=price_day(baseline, season)
                         .strftime("%d.%m.%Y")))
    applications = counted_applications(season)
    terms = [application.terms for application in applications]
    before = CaseLoader(baseline, season, today, price).cases(terms)
    after = _changed_cases(before, baseline, changed, season, today, price, terms)
    subjects = (Subject(application.customer_id, old, new)
                for application, old, new in zip(applications, before, after, strict=True))
    return WhatIfReport(rule_set, changed, season, price, compare(season, subjects))


def _changed_cases(before: list[RebateCase], baseline: RuleSet, changed: RuleSet,
                   season: int, today: dt.date, price: Decimal,
                   terms: list[Terms]) -> list[RebateCase]:
    """The cases under the changed rule set. The loader reads the readings and facts
    the windows need, so new windows mean loading again; otherwise the same cases."""
    if (changed.watering_window, changed.winter_window) == (
            baseline.watering_window, baseline.winter_window):
        return [with_rule_set(case, changed) for case in before]
    return CaseLoader(changed, season, today, price).cases(terms)
