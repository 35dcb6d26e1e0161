"""The demo data, built in code as a master-data document (docs/data-format.md).

``flask data demo`` loads it through the same importer as any other file.
Which readings exist depends on ``now`` (the last two years, the last 90 days),
but every value is a function of its own date only, never of ``now``: loading
the demo again later adds the newer readings and finds the older ones unchanged,
where a value computed from ``now`` would conflict with the stored one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from webapp.demo_persons import DEMO_PERSONS

DEMO_UTILITY_CODE = "demo"
LOCAL_TIME_ZONE = ZoneInfo("Europe/Tallinn")
THOUSANDTH = Decimal("0.001")

MONTHS_OF_READINGS = 24
SMART_HOURS = 90 * 24
# The Kodu Haldus meters are due: their last reading is at least this old.
KODU_HALDUS_MIN_AGE = dt.timedelta(days=7)
# Cumulative values are sums from these fixed starts, so they do not move with ``now``.
MONTHLY_EPOCH = dt.date(2019, 1, 1)
HOURLY_EPOCH = dt.date(2023, 1, 1)

# Share of a day's water per UTC hour: low at night, peaks at 6-9 and 17-22 local time.
HOURLY_WEIGHTS = (1, 1, 1, 2, 5, 7, 6, 4, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 7, 6, 4, 3, 2, 1)

Document = dict[str, Any]
MonthlyUsage = Callable[[dt.date], Decimal]  # m³ used in the month ending that day


def _code(given_name: str) -> str:
    return next(p.personal_code for p in DEMO_PERSONS if p.given_name == given_name)


MARI, JAAN, KATI, PEETER = _code("Mari"), _code("Jaan"), _code("Kati"), _code("Peeter")
LIIS, TOOMAS, ANNE = _code("Liis"), _code("Toomas"), _code("Anne")
KADRI = _code("Kadri")  # a member of the town council (issue 10)
KODU_HALDUS = "10123459"
PEETER_FROM = dt.date(2024, 2, 1)  # Peeter's user role at one Kodu Haldus site
# Mari's second site: an old house in town with no meter yet, where two people live;
# KEE §42 bills it by its residents.
MARIS_UNMETERED = ("TK-10003", "34901:006:0789",
                   "Lossi tn 21, Kuressaare, 93815 Saare maakond")
UNMETERED_FROM = "2024-04-01"

# Kodu Haldus apartment buildings: (site code, cadastral number, address).
BUILDINGS = (
    ("TK-20001", "34901:002:0710", "Tallinna tn 62, Kuressaare, 93815 Saare maakond"),
    ("TK-20002", "34901:003:0214", "Kingu tn 11, Kuressaare, 93812 Saare maakond"),
    ("TK-20003", "34901:004:0388", "Smuuli pst 3, Kuressaare, 93811 Saare maakond"),
)


def build_demo_data(now: dt.datetime) -> Document:
    """The demo as a format-version-1 document; ``now`` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_today = now.astimezone(LOCAL_TIME_ZONE).date()
    due_cutoff = now.astimezone(dt.UTC).date() - KODU_HALDUS_MIN_AGE  # the earlier calendar
    return {
        "format_version": 1,
        "utility": _utility(),
        "persons": _persons(),
        "companies": [
            {"registry_code": KODU_HALDUS, "name": "Kodu Haldus OÜ", "board_members": [KATI]}
        ],
        "customers": _customers(),
        "properties": _properties(),
        "sites": _sites(),
        "contracts": _contracts(),
        "meters": _meters(local_today),
        "site_roles": _site_roles(),
        "staff_roles": [
            {"person": LIIS, "role": "clerk"},
            {"person": TOOMAS, "role": "inspector"},
            {"person": ANNE, "role": "admin"},
            {"person": KADRI, "role": "council"},
        ],
        "readings": _readings(now, local_today, due_cutoff),
    }


# --------------------------------------------------------------------------- master data


def _utility() -> Document:
    return {
        "code": DEMO_UTILITY_CODE,
        "name": "Saare Vesi AS",
        "registry_code": "10987651",  # fictional; passes the registrikood check digit
        "email": "info@saarevesi.example",
        "phone": "+372 450 0000",
        "mass_view_meter_threshold": 4,  # ITB 1.2: defaults of the mass view
        "mass_view_site_threshold": 3,
        # The demo utility offers garden-water rebates under AS ELVESO's rules (its
        # watering period and sub-meter rules fit Jaan's garden).
        "rebate_rule_set": "ELVESO-2014",
        # Billing (KEE §41-§43): the contract's late interest, below the cap of
        # §41(3); the use per resident where a site has no meter (§42).
        "late_interest_percent": "0.100",
        "resident_norm_m3": "3.000",
        "invoice_due_days": 14,
        "iban": "EE382200221020145685",  # a test IBAN (Swedbank's example account)
        "bic": "HABAEE2X",
        "vat_number": "EE101987653",  # fictional; passes the KMKR check digit
        "address": "Tallinna tn 10, Kuressaare, 93819 Saare maakond",
        "prices": [
            _price("water", "1.2500", "2024-01-01", "2025-06-30"),
            _price("sewer", "1.5240", "2024-01-01", "2025-06-30"),
            _price("water", "1.3100", "2025-07-01", None),
            _price("sewer", "1.6020", "2025-07-01", None),
            # KEE §4(3), §22(1): more polluted wastewater costs more to treat; "" above
            # is the price of every group without one of its own (household: I).
            _price("sewer", "2.1340", "2024-01-01", "2025-06-30", variant="II"),
            _price("sewer", "2.2430", "2025-07-01", None, variant="II"),
            _price("sewer", "2.7430", "2024-01-01", "2025-06-30", variant="III"),
            _price("sewer", "2.8840", "2025-07-01", None, variant="III"),
            # EUR a month per main meter, by its size; "" for DN25 and larger.
            _price("fixed_fee", "2.4000", "2024-01-01", None, variant="DN15"),
            _price("fixed_fee", "3.6000", "2024-01-01", None, variant="DN20"),
            _price("fixed_fee", "9.5000", "2024-01-01", None),
            # EUR a time (KEE §6(2)).
            _price("closure_fee", "35.0000", "2024-01-01", None),
            _price("reopening_fee", "35.0000", "2024-01-01", None),
        ],
        # Estonia's standard VAT rate rose from 22 % to 24 % on 1 July 2025.
        "vat_rates": [
            {"rate_percent": "22", "valid_from": "2024-01-01"},
            {"rate_percent": "24", "valid_from": "2025-07-01"},
        ],
    }


def _price(kind: str, unit_price: str, valid_from: str, valid_until: str | None,
           variant: str = "") -> Document:
    return {
        "kind": kind,
        "variant": variant,
        "unit_price": unit_price,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _persons() -> list[Document]:
    contacts = {
        MARI: ("mari.maasikas@example.com", "+372 5550 0217"),
        JAAN: ("jaan.tamm@example.com", "+372 5550 0230"),
        KATI: ("kati.kask@koduhaldus.example", "+372 5550 0341"),
        PEETER: ("peeter.paju@example.com", None),
        LIIS: ("liis.lepp@saarevesi.example", None),
        TOOMAS: ("toomas.tuul@saarevesi.example", None),
        ANNE: ("anne.allikas@saarevesi.example", None),
        KADRI: ("kadri.kuusk@example.com", None),
    }
    persons = []
    for person in DEMO_PERSONS:
        email, phone = contacts[person.personal_code]
        persons.append(
            {
                "personal_code": person.personal_code,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": email,
                "phone": phone,
            }
        )
    return persons


def _customers() -> list[Document]:
    return [
        {"person": MARI, "email": "mari.maasikas@example.com", "locale": "et"},
        {"person": JAAN, "email": "jaan.tamm@example.com", "locale": "et"},
        {"company": KODU_HALDUS, "email": "arved@koduhaldus.example", "locale": "et"},
    ]


def _properties() -> list[Document]:
    return [
        {
            "cadastral_number": "34901:005:0123",
            "address": "Kaevu tn 12, Kuressaare, 93815 Saare maakond",
        },
        {
            "cadastral_number": "34901:008:0456",
            "address": "Roomassaare tee 27, Kuressaare, 93811 Saare maakond",
        },
        *({"cadastral_number": number, "address": address} for _, number, address in BUILDINGS),
        {"cadastral_number": MARIS_UNMETERED[1], "address": MARIS_UNMETERED[2]},
    ]


def _sites() -> list[Document]:
    houses = [
        ("TK-10001", "34901:005:0123", "Kaevu tn 12, Kuressaare, 93815 Saare maakond"),
        ("TK-10002", "34901:008:0456", "Roomassaare tee 27, Kuressaare, 93811 Saare maakond"),
    ]
    return [
        {"code": code, "property": number, "address": address}
        for code, number, address in (*houses, *BUILDINGS, MARIS_UNMETERED)
    ]


def _contracts() -> list[Document]:
    def contract(number: str, customer: str, sites: list[str], start: str) -> Document:
        return {
            "number": number,
            "customer": customer,
            "sites": sites,
            "start_date": start,
            "end_date": None,
            "status": "active",
        }

    return [
        contract("L-2019-0001", MARI, ["TK-10001"], "2019-03-01"),
        contract("L-2019-0002", JAAN, ["TK-10002"], "2019-05-01"),
        contract("L-2019-0003", KODU_HALDUS, [code for code, _, _ in BUILDINGS], "2019-09-01"),
        # No meter: billed by residents (KEE §42); invoices by e-mail.
        contract("L-2024-0004", MARI, [MARIS_UNMETERED[0]], UNMETERED_FROM)
        | {"residents": 2, "invoice_delivery": "email"},
    ]


def _site_roles() -> list[Document]:
    # Owner status comes from the contract (DOMAIN.md, ITB 2 decision): from its start.
    def role(site: str, person: str, kind: str, since: str, given_by: str | None) -> Document:
        return {
            "site": site,
            "person": person,
            "role": kind,
            "given_by": given_by,
            "valid_from": since,
            "valid_until": None,
        }

    return [
        role("TK-10001", MARI, "owner", "2019-03-01", None),
        role("TK-10002", JAAN, "owner", "2019-05-01", None),
        role(MARIS_UNMETERED[0], MARI, "owner", UNMETERED_FROM, None),
        *(role(code, KATI, "owner", "2019-09-01", None) for code, _, _ in BUILDINGS),
        role(BUILDINGS[1][0], PEETER, "user", PEETER_FROM.isoformat(), KATI),
    ]


# --------------------------------------------------------------------------- meters


def _kodu_haldus_meters() -> Iterator[tuple[str, str]]:
    """(meter number, site code): four staircase meters per building."""
    for building, (site, _, _) in enumerate(BUILDINGS):
        for staircase in range(4):
            yield f"00345{building * 4 + staircase + 1:03d}", site


SMART_METERS = (("00456001", "6.500"), ("00456002", "0.350"))  # building main, ground-floor shop


def _meters(today: dt.date) -> list[Document]:
    def meter(
        number: str, site: str, kind: str, installed: str, *, cycle: int, seal: str
    ) -> Document:
        installed_on = dt.date.fromisoformat(installed)
        return {
            "number": number,
            "site": site,
            "kind": kind,
            "installed_on": installed,
            "verified_until": _verified_until(installed_on, cycle, today).isoformat(),
            "seal_number": seal,
            "status": "active",
        }

    meters: list[Document] = [
        meter("00123456", "TK-10001", "cold_water", "2019-03-01", cycle=6, seal="SV-104512"),
        meter("00234567", "TK-10002", "cold_water", "2019-05-01", cycle=6, seal="SV-104613"),
        # ELVESO 3.1.2: a garden sub-meter is verified (every 2 years) and sealed.
        meter("00234568", "TK-10002", "garden_sub_meter", "2021-04-15", cycle=2, seal="SV-104614"),
    ]
    for position, (number, site) in enumerate(_kodu_haldus_meters()):
        staircase = meter(number, site, "cold_water", "2019-09-01", cycle=6,
                          seal=f"SV-2{position:05d}")
        meters.append(staircase | {"size": "DN20"})  # the fixed fee follows the size
    for position, (number, _) in enumerate(SMART_METERS):
        smart = meter(
            number, BUILDINGS[0][0], "smart", "2022-10-03", cycle=6, seal=f"SV-3{position:05d}"
        )
        # The building's main meter is larger: its fixed fee is the "" one.
        meters.append(smart | {"size": "DN25"} if position == 0 else smart)
    return meters


def _verified_until(installed: dt.date, cycle_years: int, today: dt.date) -> dt.date:
    """The end of the verification period in force, at least a year ahead.

    Demo assumption: re-verified every ``cycle_years`` on the installation day.
    """
    until = installed
    while until < today + dt.timedelta(days=366):
        until = until.replace(year=until.year + cycle_years)
    return until


# --------------------------------------------------------------------------- readings


def _readings(now: dt.datetime, today: dt.date, due_cutoff: dt.date) -> list[Document]:
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    due_month = last_month if last_month <= due_cutoff else _previous_month_end(last_month)
    readings = [
        *_monthly("00123456", last_month, _mari_usage, MARI),
        *_monthly("00234567", last_month, _jaan_main_usage, JAAN),
        *_monthly("00234568", last_month, _garden_usage, JAAN),
    ]
    for number, site in _kodu_haldus_meters():
        # Peeter submits at his site once he has the role (ITB 2: users submit readings).
        submitter = PEETER if site == BUILDINGS[1][0] else KATI
        readings += _monthly(number, due_month, partial(_staircase_usage, number), submitter)
    for number, daily in SMART_METERS:
        readings += _hourly(number, now, Decimal(daily))
    return readings


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _previous_month_end(month_end: dt.date) -> dt.date:
    return month_end.replace(day=1) - dt.timedelta(days=1)


def _monthly(meter: str, last: dt.date, usage: MonthlyUsage, submitter: str) -> Iterator[Document]:
    """Readings on the last day of each of the 24 months up to ``last``."""
    first = last
    for _ in range(MONTHS_OF_READINGS - 1):
        first = _previous_month_end(first)
    value = _start_value(meter)
    month_end = _month_end(MONTHLY_EPOCH)
    while month_end <= last:
        value += usage(month_end).quantize(THOUSANDTH)
        if month_end >= first:
            yield _monthly_reading(meter, month_end, value, submitter)
        month_end = _month_end(month_end + dt.timedelta(days=1))


def _monthly_reading(meter: str, day: dt.date, value: Decimal, submitter: str) -> Document:
    # The inspector reads every meter in March; the rest come through the portal.
    by_staff = day.month == 3
    if submitter == PEETER and day < PEETER_FROM:
        submitter = KATI
    return {
        "meter": meter,
        "date": day.isoformat(),
        "value": f"{value:.3f}",
        "measured_at": None,
        "channel": "staff" if by_staff else "web",
        "submitted_by": TOOMAS if by_staff else submitter,
    }


def _seeded(seed: str) -> random.Random:
    # A str seed gives the same sequence in every process (unlike hash()), so the
    # demo is deterministic; these are made-up volumes, not secrets.
    return random.Random(seed)  # noqa: S311


def _start_value(meter: str) -> Decimal:
    return Decimal(_seeded(meter).randrange(50_000, 400_000)) * THOUSANDTH


def _rng(meter: str, month_end: dt.date) -> random.Random:
    return _seeded(f"{meter}:{month_end:%Y-%m}")


def _percent(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low, high + 1)) / 100


def _mari_usage(month_end: dt.date) -> Decimal:
    summer = Decimal("1.10") if month_end.month in (6, 7, 8) else Decimal(1)
    return Decimal("8.0") * summer * _percent(_rng("00123456", month_end), 85, 115)


def _garden_usage(month_end: dt.date) -> Decimal:
    """Garden water: mostly June to August (ELVESO 1.3 watering period), none in winter."""
    typical = {4: "0.3", 5: "1.5", 6: "6.5", 7: "8.0", 8: "5.5", 9: "1.0", 10: "0.2"}
    rng = _rng("00234568", month_end)
    return Decimal(typical.get(month_end.month, "0")) * _percent(rng, 70, 130)


def _jaan_main_usage(month_end: dt.date) -> Decimal:
    # The main meter measures the house and, upstream of the sub-meter, the garden too.
    house = Decimal("10.0") * _percent(_rng("00234567", month_end), 88, 112)
    return house + _garden_usage(month_end).quantize(THOUSANDTH)


def _staircase_usage(meter: str, month_end: dt.date) -> Decimal:
    typical = Decimal(_seeded(f"{meter}:size").randrange(30, 61))  # staircases differ
    holidays = Decimal("0.92") if month_end.month in (7, 8) else Decimal(1)
    return typical * holidays * _percent(_rng(meter, month_end), 90, 110)


def _hourly(meter: str, now: dt.datetime, daily: Decimal) -> Iterator[Document]:
    """Cumulative readings on each of the last 2160 hours, up to the hour of ``now``."""
    last = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    first = last - dt.timedelta(hours=SMART_HOURS - 1)
    day = first.date()
    day_start = _start_value(meter) + sum(
        (_daily_usage(meter, d, daily) for d in _days(HOURLY_EPOCH, day)), Decimal(0)
    )
    day_total = _daily_usage(meter, day, daily)
    moment = first
    while moment <= last:
        if moment.date() != day:
            day, day_start = moment.date(), day_start + day_total
            day_total = _daily_usage(meter, day, daily)
        # Rounding a growing share of the day keeps the cumulative value monotonic.
        share = Decimal(sum(HOURLY_WEIGHTS[: moment.hour])) / sum(HOURLY_WEIGHTS)
        value = day_start + (day_total * share).quantize(THOUSANDTH)
        yield {
            "meter": meter,
            "date": moment.astimezone(LOCAL_TIME_ZONE).date().isoformat(),
            "value": f"{value:.3f}",
            "measured_at": moment.isoformat(),
            "channel": "api",  # smart meters report through the API, not a person
            "submitted_by": None,
        }
        moment += dt.timedelta(hours=1)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """The days from ``start`` up to, not including, ``end``."""
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=1)


def _daily_usage(meter: str, day: dt.date, typical: Decimal) -> Decimal:
    rng = _seeded(f"{meter}:{day.isoformat()}")
    weekend = Decimal("1.10") if day.weekday() >= 5 else Decimal(1)
    return (typical * weekend * _percent(rng, 90, 110)).quantize(THOUSANDTH)
