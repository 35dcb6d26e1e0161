"""A street of gardens for the council's what-if report (issue 10): seventeen
households in Kuressaare with ELVESO rebate applications approved for the last
season that has ended, so that raising the cap from 30 to 40 m³ has a cost to show.

Kept apart from ``demo.build_demo_data``, whose rows the other tests count: ``flask
data demo`` loads both. The master data go through the same importer; the
applications, which the import format does not carry, are added as the clerk's
approval would leave them. Deterministic: the same day gives the same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from stdnum.ee import ik

from webapp.domain.rule_sets import Method, load_rule_set
from webapp.extensions import db
from webapp.models import (
    Customer,
    HouseType,
    Person,
    RebateApplication,
    RebateStatus,
    Site,
)
from webapp.models.base import utcnow
from webapp.services.rebates import latest_ended_season

Document = dict[str, Any]
RULE_SET = "ELVESO-2014"
HOUSEHOLD_M3 = Decimal("7.000")  # a month, all year: method A's winter cancels it out
# Garden water a season (m³) and the method: under the cap of 30 (ELVESO 2.2), a
# little over it (gaining up to 10 EUR at 40) and well over it (gaining more).
GARDENS: tuple[tuple[str, Method], ...] = (
    ("12", Method.A), ("18", Method.B), ("22", Method.A), ("25", Method.B),
    ("27", Method.A), ("29", Method.B),
    ("31", Method.A), ("32", Method.B), ("33.5", Method.A), ("35", Method.B),
    ("36", Method.A),
    ("37", Method.B), ("39", Method.A), ("41", Method.B), ("45", Method.A),
    ("52", Method.B), ("60", Method.A),
)
# How a garden's season is spread over the watering period's months (ELVESO 1.3).
SUMMER_SHARES = {6: Decimal("0.3"), 7: Decimal("0.4"), 8: Decimal("0.3")}
GIVEN_NAMES = ("Aino", "Ants", "Ene", "Heino", "Helve", "Indrek", "Kalju", "Laine", "Madis",
               "Malle", "Priit", "Reet", "Siim", "Tiiu", "Urmas", "Valve", "Elmar")
STREET = "Aia tn"
MONTHS = 24


def _personal_code(number: int) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=397 * number)
    sex = "4" if number % 2 else "3"  # born in the 1900s: 3 a man, 4 a woman
    for serial in range(100, 1000):
        stem = f"{sex}{born:%y%m%d}{serial:03d}"
        code = stem + ik.calc_check_digit(stem)
        if ik.is_valid(code):
            return code
    raise AssertionError("no valid personal code")  # pragma: no cover


def _households() -> Iterator[tuple[int, str, str, Decimal, Method]]:
    """(number, personal code, site code, garden m³, method)."""
    for number, (garden, method) in enumerate(GARDENS, start=1):
        yield number, _personal_code(number), f"TK-300{number:02d}", Decimal(garden), method


def build_garden_street(today: dt.date) -> Document:
    """The households' master data and readings, a format-version-1 document."""
    persons: list[Document] = []
    customers: list[Document] = []
    properties: list[Document] = []
    sites: list[Document] = []
    contracts: list[Document] = []
    meters: list[Document] = []
    readings: list[Document] = []
    last = today.replace(day=1) - dt.timedelta(days=1)
    for number, code, site, garden, method in _households():
        address = f"{STREET} {number}, Kuressaare, 93815 Saare maakond"
        cadastral = f"34901:010:{number:04d}"
        persons.append({"personal_code": code, "given_name": GIVEN_NAMES[number - 1],
                        "family_name": "Aednik", "email": None, "phone": None})
        customers.append({"person": code, "email": None, "locale": "et"})
        properties.append({"cadastral_number": cadastral, "address": address})
        sites.append({"code": site, "property": cadastral, "address": address})
        contracts.append({"number": f"L-2020-1{number:03d}", "customer": code, "sites": [site],
                          "start_date": "2020-04-01", "end_date": None, "status": "active"})
        main, sub = f"00567{number:03d}", f"00568{number:03d}"
        meters.append(_meter(main, site, "cold_water", today))
        if method is Method.B:
            meters.append(_meter(sub, site, "garden_sub_meter", today) | {
                "seal_number": f"SV-5{number:05d}"})
            readings += _monthly(main, last, code, HOUSEHOLD_M3, Decimal(0))
            readings += _monthly(sub, last, code, Decimal(0), garden)
        else:
            readings += _monthly(main, last, code, HOUSEHOLD_M3, garden)
    return {"format_version": 1, "persons": persons, "customers": customers,
            "properties": properties, "sites": sites, "contracts": contracts,
            "meters": meters, "readings": readings}


def _meter(number: str, site: str, kind: str, today: dt.date) -> Document:
    return {"number": number, "site": site, "kind": kind, "installed_on": "2020-04-01",
            # ELVESO 3.1.2: verified every 2 years; valid well past the season.
            "verified_until": dt.date(today.year + 2, 4, 1).isoformat(),
            "seal_number": f"SV-4{number[-5:]}", "status": "active"}


def _monthly(meter: str, last: dt.date, submitter: str, household: Decimal,
             garden: Decimal) -> Iterator[Document]:
    """A reading at the end of each of the MONTHS months up to ``last``."""
    month_ends = []
    day = last
    for _ in range(MONTHS):
        month_ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    value = Decimal("100.000")
    for month_end in reversed(month_ends):
        value += household + (garden * SUMMER_SHARES.get(month_end.month, Decimal(0))
                              ).quantize(Decimal("0.001"))
        yield {"meter": meter, "date": month_end.isoformat(), "value": f"{value:.3f}",
               "measured_at": None, "channel": "web", "submitted_by": submitter}


def add_garden_applications(today: dt.date, reviewer_code: str) -> int:
    """Each household's application, approved by the clerk and counting from the last
    season that has ended; none added twice. The number added."""
    season = latest_ended_season(load_rule_set(RULE_SET), today)
    reviewer = db.session.scalar(select(Person.id).where(Person.personal_code == reviewer_code))
    now = utcnow()
    added = 0
    for number, code, site_code, _garden, method in _households():
        site = db.session.scalar(select(Site).where(Site.code == site_code))
        person = db.session.scalar(select(Person).where(Person.personal_code == code))
        if site is None or person is None:
            continue
        exists = db.session.scalar(select(RebateApplication.id)
                                   .where(RebateApplication.site_id == site.id))
        customer = db.session.scalar(select(Customer).where(Customer.person_id == person.id))
        if exists is not None or customer is None:
            continue
        is_b = method is Method.B
        db.session.add(RebateApplication(
            site_id=site.id, customer_id=customer.id, applicant_id=person.id,
            rule_set=RULE_SET, method=method, house_type=HouseType.DETACHED,
            first_season=season, last_season=None,
            sub_meter_number=f"00568{number:03d}" if is_b else None,
            sub_meter_verified_until=dt.date(today.year + 2, 4, 1) if is_b else None,
            sub_meter_seal=f"SV-5{number:05d}" if is_b else None,
            consent_given_at=now, submitted_at=now, status=RebateStatus.APPROVED,
            status_changed_at=now, reviewed_by_id=reviewer, reviewed_at=now))
        added += 1
    db.session.flush()
    return added
