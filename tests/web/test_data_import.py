"""Master-data import (docs/data-format.md), the demo data and ``flask data``.

Uses the ``app`` (app context pushed, fresh schema) and ``runner`` fixtures of
tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from webapp.demo import build_demo_data
from webapp.demo_persons import DEMO_PERSONS
from webapp.extensions import db
from webapp.models import (
    Company,
    Customer,
    InvoiceDelivery,
    Meter,
    MeterKind,
    Person,
    PollutionGroup,
    PriceKind,
    Reading,
    ServiceContract,
    Site,
    SiteRole,
    SiteRoleKind,
    StaffRole,
    StaffRoleKind,
    Utility,
    VatRate,
)
from webapp.services.importer import (
    SCHEMA_PATH,
    DataImportError,
    ImportReport,
    import_master_data,
)

# A day early in the month: the Kodu Haldus meters' last month-end is then too recent.
NOW = dt.datetime(2025, 3, 5, 10, 17, 42, tzinfo=dt.UTC)
CODES = {p.given_name: p.personal_code for p in DEMO_PERSONS}
KODU_HALDUS = "10123459"


# --------------------------------------------------------------------------- helpers


def row_counts() -> dict[str, int]:
    """Rows per table, across every table of the schema."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def load(data: dict[str, Any]) -> ImportReport:
    report = import_master_data(data)
    db.session.commit()
    return report


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DataImportError) as caught:
        import_master_data(data)
    db.session.rollback()
    return [str(error) for error in caught.value.errors]


def small_document() -> dict[str, Any]:
    """One person with one house, one meter and one reading."""
    return {
        "format_version": 1,
        "persons": [
            {"personal_code": CODES["Mari"], "given_name": "Mari", "family_name": "Maasikas"}
        ],
        "customers": [{"person": CODES["Mari"]}],
        "properties": [{"cadastral_number": "34901:005:0123", "address": "Kaevu tn 12"}],
        "sites": [{"code": "TK-1", "property": "34901:005:0123", "address": "Kaevu tn 12"}],
        "meters": [
            {"number": "0001", "site": "TK-1", "kind": "cold_water", "installed_on": "2020-01-01"}
        ],
        "readings": [{"meter": "0001", "date": "2025-01-31", "value": "12.345", "channel": "web"}],
    }


def write_json(tmp_path: Path, data: object) -> str:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def person(code: str) -> Person:
    return db.session.scalars(select(Person).where(Person.personal_code == code)).one()


def meters_of(code: str) -> list[Meter]:
    """The meters at the sites of the customer with this personal or registry code."""
    contracts = select(ServiceContract).join(Customer).outerjoin(Person).outerjoin(Company)
    query = contracts.where((Person.personal_code == code) | (Company.registry_code == code))
    return [m for c in db.session.scalars(query) for s in c.sites for m in s.meters]


def readings_of(meter: Meter) -> list[Reading]:
    query = select(Reading).where(Reading.meter_id == meter.id)
    return list(db.session.scalars(query.order_by(Reading.reading_date, Reading.measured_at)))


# --------------------------------------------------------------------------- the schema


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_demo_document_matches_schema() -> None:
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(build_demo_data(NOW))


@pytest.mark.usefixtures("app")
def test_the_example_in_the_documentation_imports() -> None:
    text = (SCHEMA_PATH.parent / "data-format.md").read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]

    report = load(json.loads(example))

    assert report.counts["readings"].created == 1


# --------------------------------------------------------------------------- the demo


@pytest.mark.usefixtures("app")
def test_demo_persons_and_roles() -> None:
    load(build_demo_data(NOW))

    codes = set(db.session.scalars(select(Person.personal_code)))
    assert codes == set(CODES.values())
    staff = {(r.person.given_name, r.role) for r in db.session.scalars(select(StaffRole))}
    assert staff == {
        ("Liis", StaffRoleKind.CLERK),
        ("Toomas", StaffRoleKind.INSPECTOR),
        ("Anne", StaffRoleKind.ADMIN),
        ("Kadri", StaffRoleKind.COUNCIL),
    }
    customer_codes = {c.code for c in db.session.scalars(select(Customer))}
    assert customer_codes == {CODES["Mari"], CODES["Jaan"], KODU_HALDUS}

    roles = [
        (r.person.given_name, r.role, r.site.code) for r in db.session.scalars(select(SiteRole))
    ]
    kodu_sites = {s.code for m in meters_of(KODU_HALDUS) for s in [m.site]}
    assert {site for name, role, site in roles if name == "Kati"} == kodu_sites
    assert all(role == SiteRoleKind.OWNER for name, role, _ in roles if name != "Peeter")
    peeter = [r for r in db.session.scalars(select(SiteRole)) if r.person.given_name == "Peeter"]
    assert len(peeter) == 1
    assert peeter[0].role == SiteRoleKind.USER
    assert peeter[0].site.code in kodu_sites
    assert peeter[0].given_by is not None and peeter[0].given_by.given_name == "Kati"
    kodu = db.session.scalars(select(Company)).one()
    assert [b.person.given_name for b in kodu.board_members] == ["Kati"]


@pytest.mark.usefixtures("app")
def test_demo_private_customers_meters_and_readings() -> None:
    load(build_demo_data(NOW))

    (mari_meter,) = meters_of(CODES["Mari"])
    mari_readings = readings_of(mari_meter)
    assert len(mari_readings) == 24
    assert mari_readings[-1].reading_date == dt.date(2025, 2, 28)  # the end of last month
    assert all(r.measured_at is None for r in mari_readings)

    jaan = {m.kind: m for m in meters_of(CODES["Jaan"])}
    assert set(jaan) == {MeterKind.COLD_WATER, MeterKind.GARDEN_SUB_METER}
    sub_meter = jaan[MeterKind.GARDEN_SUB_METER]
    assert sub_meter.seal_number
    assert sub_meter.verified_until is not None
    assert sub_meter.verified_until >= NOW.date() + dt.timedelta(days=365)
    for meter in jaan.values():
        assert len(readings_of(meter)) == 24
    # The sub-meter is for garden water: most of its year goes in June to August.
    values = {r.reading_date: r.value for r in readings_of(sub_meter)}
    summer = values[dt.date(2024, 8, 31)] - values[dt.date(2024, 5, 31)]
    year = values[dt.date(2025, 2, 28)] - values[dt.date(2024, 2, 29)]
    assert summer > year * Decimal("0.6")


@pytest.mark.usefixtures("app")
def test_demo_kodu_haldus_meters() -> None:
    load(build_demo_data(NOW))

    meters = meters_of(KODU_HALDUS)
    cold = [m for m in meters if m.kind == MeterKind.COLD_WATER]
    smart = [m for m in meters if m.kind == MeterKind.SMART]
    assert (len(cold), len(smart)) == (12, 2)
    assert sorted(sum(1 for m in cold if m.site == s) for s in {m.site for m in cold}) == [4, 4, 4]
    assert len({m.site.code for m in smart}) == 1
    assert all(m.number.startswith("00") for m in meters)  # leading zeros kept

    for meter in cold:
        readings = readings_of(meter)
        assert len(readings) == 24
        assert readings[-1].reading_date <= NOW.date() - dt.timedelta(days=7)
    last_hour = NOW.replace(minute=0, second=0, microsecond=0)
    for meter in smart:
        readings = readings_of(meter)
        assert len(readings) == 90 * 24
        assert readings[-1].measured_at == last_hour
        assert all(r.measured_at is not None and r.measured_at.minute == 0 for r in readings)
        values = [r.value for r in readings]
        assert values == sorted(values)  # cumulative


@pytest.mark.usefixtures("app")
def test_demo_twice_creates_and_changes_nothing() -> None:
    load(build_demo_data(NOW))
    before = row_counts()

    report = load(build_demo_data(NOW))

    assert (report.created, report.updated) == (0, 0)
    assert report.counts["readings"].unchanged == 24 * 15 + 2 * 90 * 24
    assert row_counts() == before


@pytest.mark.usefixtures("app")
def test_demo_a_day_later_only_adds_the_new_hours() -> None:
    load(build_demo_data(NOW))

    report = load(build_demo_data(NOW + dt.timedelta(days=1)))

    # Values depend on their own hour only, so the overlap matches what is stored.
    assert report.counts["readings"].created == 2 * 24
    assert report.updated == 0


def test_cli_demo_and_if_empty(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["data", "demo"])
    assert result.exit_code == 0, result.output
    assert "readings" in result.stdout
    before = row_counts()

    again = runner.invoke(args=["data", "demo", "--if-empty"])

    assert again.exit_code == 0, again.output
    assert "already loaded" in again.stdout
    assert row_counts() == before


# --------------------------------------------------------------------------- rejected files


def test_bad_personal_code_writes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    load(build_demo_data(NOW))
    before = row_counts()
    data = small_document()
    data["persons"].append(
        {"personal_code": "48001010218", "given_name": "Vale", "family_name": "Kood"}
    )

    result = runner.invoke(args=["data", "import", write_json(tmp_path, data)])

    assert result.exit_code == 1
    assert (
        "persons[1] (personal_code 48001010218): personal_code: invalid personal code"
        in result.stderr
    )
    assert "nothing was imported" in result.stderr
    assert row_counts() == before


@pytest.mark.usefixtures("app")
def test_dangling_references_are_reported() -> None:
    data = small_document()
    data["sites"][0]["property"] = "34901:999:9999"
    data["readings"][0]["submitted_by"] = CODES["Jaan"]

    errors = errors_of(data)

    assert errors == [
        "sites[0] (code TK-1): property: no property 34901:999:9999 in this file or the database",
        "readings[0] (meter 0001, date 2025-01-31): submitted_by: "
        f"no person {CODES['Jaan']} in this file or the database",
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.usefixtures("app")
def test_references_resolve_to_records_in_the_database() -> None:
    load(small_document())
    data = {
        "format_version": 1,
        "readings": [{"meter": "0001", "date": "2025-02-28", "value": "20.5", "channel": "web"}],
    }

    report = load(data)

    assert report.counts["readings"].created == 1


def test_json_number_for_a_reading_is_rejected(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    text = json.dumps(small_document()).replace('"value": "12.345"', '"value": 12.345')
    path.write_text(text, encoding="utf-8")

    result = runner.invoke(args=["data", "import", str(path)])

    assert result.exit_code == 1
    assert (
        "readings[0] (meter 0001, date 2025-01-31): value: expected a decimal string with at "
        'most 3 decimals, e.g. "123.456", got 12.345' in result.stderr
    )
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.usefixtures("app")
def test_schema_errors_are_all_reported_with_paths() -> None:
    data = small_document()
    data["readings"][0]["value"] = "1.2345"  # four decimals
    data["persons"][0]["nickname"] = "Mari"
    del data["meters"][0]["kind"]

    errors = errors_of(data)

    assert len(errors) == 3
    assert errors[0].startswith("persons[0] (personal_code 48001010217): Additional properties")
    assert errors[1] == "meters[0] (number 0001): 'kind' is a required property"
    assert errors[2].startswith("readings[0] (meter 0001, date 2025-01-31): value: expected")


@pytest.mark.usefixtures("app")
def test_duplicates_in_the_file_are_reported() -> None:
    data = small_document()
    data["persons"].append(dict(data["persons"][0]))
    data["readings"].append(dict(data["readings"][0], value="13.000"))

    errors = errors_of(data)

    assert errors == [
        "persons[1] (personal_code 48001010217): duplicate of persons[0] (same natural key)",
        "readings[1] (meter 0001, date 2025-01-31): duplicate of readings[0] (same natural key)",
    ]


@pytest.mark.usefixtures("app")
def test_a_stored_reading_is_never_changed() -> None:
    load(small_document())
    changed = small_document()
    changed["readings"][0]["value"] = "12.346"

    errors = errors_of(changed)

    assert errors == [
        "readings[0] (meter 0001, date 2025-01-31): value: 12.346 differs from the stored "
        "reading 12.345; an import never changes a reading"
    ]
    (reading,) = db.session.scalars(select(Reading))
    assert reading.value == Decimal("12.345")


@pytest.mark.usefixtures("app")
def test_same_file_twice_is_idempotent_and_names_may_change() -> None:
    data = small_document()
    data["readings"][0]["value"] = "12.3"
    load(data)
    before = row_counts()
    data["persons"][0]["family_name"] = "Mustikas"
    data["readings"][0]["value"] = "12.300"  # the same decimal, written differently

    report = load(data)

    assert report.counts["persons"].updated == 1
    assert report.counts["readings"].unchanged == 1
    assert report.created == 0
    assert row_counts() == before
    assert person(CODES["Mari"]).family_name == "Mustikas"


@pytest.mark.usefixtures("app")
def test_timestamps_are_stored_in_utc_and_dated_in_tallinn() -> None:
    data = small_document()
    data["readings"] = [
        {
            "meter": "0001",
            "date": "2025-03-01",
            "value": "1.000",
            "measured_at": "2025-03-01T01:00:00+02:00",
            "channel": "api",
        },
        {
            "meter": "0001",
            "date": "2025-03-01",  # 23:00 UTC is already the 2nd in Tallinn
            "value": "2.000",
            "measured_at": "2025-03-01T23:00:00Z",
            "channel": "api",
        },
    ]

    errors = errors_of(data)

    assert errors == [
        "readings[1] (meter 0001, date 2025-03-01, measured_at 2025-03-01T23:00:00Z): date: "
        "must be 2025-03-02, the Europe/Tallinn day of measured_at"
    ]
    del data["readings"][1]
    load(data)
    (reading,) = db.session.scalars(select(Reading))
    assert reading.measured_at == dt.datetime(2025, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert reading.reading_date == dt.date(2025, 3, 1)


@pytest.mark.usefixtures("app")
def test_semantic_checks_on_dates_and_codes() -> None:
    data = small_document()
    data["meters"][0]["installed_on"] = "2025-02-30"
    data["companies"] = [{"registry_code": "10123458", "name": "Vale OÜ"}]
    data["site_roles"] = [
        {
            "site": "TK-1",
            "person": CODES["Mari"],
            "role": "owner",
            "valid_from": "2025-01-01",
            "valid_until": "2024-12-31",
        }
    ]

    errors = errors_of(data)

    assert errors == [
        "companies[0] (registry_code 10123458): registry_code: invalid registry code "
        "(wrong check digit)",
        "meters[0] (number 0001): installed_on: 2025-02-30 is not a valid date",
        "site_roles[0] (site TK-1, person 48001010217, role owner, valid_from 2025-01-01): "
        "valid_until: 2024-12-31 is before valid_from 2025-01-01",
    ]


def test_invalid_json_exits_1_without_traceback(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format_version": 1,', encoding="utf-8")

    result = runner.invoke(args=["data", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}: not valid JSON: " in result.stderr
    assert "line 1 column" in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_missing_file_exits_1(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["data", "import", str(tmp_path / "missing.json")])

    assert result.exit_code == 1
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.output


def test_import_prints_counts(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["data", "import", write_json(tmp_path, small_document())])

    assert result.exit_code == 0, result.output
    assert "readings" in result.stdout
    assert db.session.scalar(select(func.count()).select_from(Site)) == 1


@pytest.mark.usefixtures("app")
def test_overlapping_prices_are_reported() -> None:
    load(build_demo_data(NOW))  # water 1.2500 up to 2025-06-30, 1.3100 from 2025-07-01
    data = {
        "format_version": 1,
        "utility": {
            "code": "demo",
            "name": "Saare Vesi AS",
            "prices": [{"kind": "water", "unit_price": "1.4000", "valid_from": "2025-06-01"}],
        },
    }

    errors = errors_of(data)

    # Open-ended from June, it overlaps both the price before and the one after it.
    assert errors == [
        "utility.prices[0] (kind water, valid_from 2025-06-01): valid_from: "
        "overlaps the water price from 2024-01-01",
        "utility.prices[0] (kind water, valid_from 2025-06-01): valid_until: "
        "overlaps the water price from 2025-07-01",
    ]


@pytest.mark.usefixtures("app")
def test_lists_inside_a_record_replace_the_stored_list() -> None:
    load(build_demo_data(NOW))
    data = {
        "format_version": 1,
        "companies": [
            {
                "registry_code": KODU_HALDUS,
                "name": "Kodu Haldus OÜ",
                "board_members": [CODES["Peeter"]],
            }
        ],
        "contracts": [
            {
                "number": "L-2019-0003",
                "customer": KODU_HALDUS,
                "sites": ["TK-20001"],
                "start_date": "2019-09-01",
            }
        ],
    }

    report = load(data)

    assert (report.counts["companies"].updated, report.counts["contracts"].updated) == (1, 1)
    company = db.session.scalars(select(Company)).one()
    assert [b.person.given_name for b in company.board_members] == ["Peeter"]
    contract = db.session.scalars(
        select(ServiceContract).where(ServiceContract.number == "L-2019-0003")
    ).one()
    assert [s.code for s in contract.sites] == ["TK-20001"]
    assert row_counts()["board_member"] == 1


def test_a_document_that_met_the_schema_is_not_checked_again_but_a_changed_one_is() -> None:
    from webapp.services import importer

    document = {"format_version": 1, "persons": [
        {"personal_code": "48001010217", "given_name": "Mari", "family_name": "Maasikas"}]}
    assert importer.schema_errors(document) == []
    assert importer._digest(document) in importer._SCHEMA_CLEAN
    changed = {"format_version": 1, "persons": [
        {"personal_code": 48001010217, "given_name": "Mari", "family_name": "Maasikas"}]}
    assert importer.schema_errors(changed) != []  # a number where text belongs


# --------------------------------------------------------------------------- billing data


def billing_document() -> dict[str, Any]:
    """The small document with a utility carrying every billing field."""
    data = small_document()
    data["utility"] = {
        "code": "demo", "name": "Saare Vesi AS",
        "late_interest_percent": "0.150", "resident_norm_m3": "2.5", "invoice_due_days": 21,
        "iban": "ee38 2200 2210 2014 5685", "bic": "habaee2x", "vat_number": "EE101987653",
        "address": "Tallinna tn 10, Kuressaare",
        "prices": [
            {"kind": "sewer", "variant": "", "unit_price": "1.6", "valid_from": "2025-01-01"},
            {"kind": "sewer", "variant": "II", "unit_price": "2.2", "valid_from": "2025-01-01"},
            {"kind": "fixed_fee", "variant": "DN20", "unit_price": "3.6",
             "valid_from": "2025-01-01"},
            {"kind": "closure_fee", "unit_price": "35", "valid_from": "2025-01-01"},
        ],
        "vat_rates": [{"rate_percent": "22", "valid_from": "2024-01-01"},
                      {"rate_percent": "24", "valid_from": "2025-07-01"}],
    }
    data["contracts"] = [{"number": "L-1", "customer": CODES["Mari"], "sites": ["TK-1"],
                          "start_date": "2020-01-01", "pollution_group": "II", "residents": 2,
                          "invoice_delivery": "e_invoice"}]
    data["meters"][0]["size"] = "DN20"
    return data


@pytest.mark.usefixtures("app")
def test_the_billing_fields_are_imported_cleaned() -> None:
    report = load(billing_document())

    utility = db.session.scalars(select(Utility)).one()
    assert (utility.late_interest_percent, utility.resident_norm_m3, utility.invoice_due_days) \
        == (Decimal("0.150"), Decimal("2.500"), 21)
    # Stored without spaces and in capitals: bank statements are matched by it.
    assert (utility.iban, utility.bic, utility.vat_number) == (
        "EE382200221020145685", "HABAEE2X", "EE101987653")
    assert utility.address == "Tallinna tn 10, Kuressaare"
    assert {(p.kind, p.variant) for p in utility.prices} == {
        (PriceKind.SEWER, ""), (PriceKind.SEWER, "II"), (PriceKind.FIXED_FEE, "DN20"),
        (PriceKind.CLOSURE_FEE, "")}
    assert [(r.rate_percent, r.valid_from) for r in
            db.session.scalars(select(VatRate).order_by(VatRate.valid_from))] == [
        (Decimal("22.00"), dt.date(2024, 1, 1)), (Decimal("24.00"), dt.date(2025, 7, 1))]
    assert report.counts["vat_rates"].created == 2
    contract = db.session.scalars(select(ServiceContract)).one()
    assert (contract.pollution_group, contract.residents, contract.invoice_delivery) == (
        PollutionGroup.II, 2, InvoiceDelivery.E_INVOICE)
    assert db.session.scalars(select(Meter)).one().size == "DN20"


@pytest.mark.usefixtures("app")
def test_billing_fields_are_upserted_and_defaults_kept() -> None:
    load(small_document() | {"contracts": [
        {"number": "L-1", "customer": CODES["Mari"], "sites": ["TK-1"],
         "start_date": "2020-01-01"}]})
    contract = db.session.scalars(select(ServiceContract)).one()
    meter = db.session.scalars(select(Meter)).one()
    # KEE §22(1): household wastewater, group I; the smallest meter size.
    assert (contract.pollution_group, contract.residents, contract.invoice_delivery) == (
        PollutionGroup.I, None, None)
    assert meter.size == "DN15"

    load(billing_document())
    report = load(billing_document())  # the same file again: nothing changes

    assert (report.created, report.updated) == (0, 0)
    cleared = billing_document()
    cleared["contracts"][0] |= {"residents": None, "invoice_delivery": None}
    cleared["utility"]["vat_rates"] = [{"rate_percent": "20", "valid_from": "2024-01-01"}]
    report = load(cleared)
    db.session.expire_all()
    contract = db.session.scalars(select(ServiceContract)).one()
    assert (contract.residents, contract.invoice_delivery) == (None, None)
    assert report.counts["vat_rates"].updated == 1
    assert db.session.scalars(select(VatRate).where(
        VatRate.valid_from == dt.date(2024, 1, 1))).one().rate_percent == Decimal(20)


@pytest.mark.usefixtures("app")
def test_bad_billing_data_is_reported_per_item_and_writes_nothing() -> None:
    data = billing_document()
    utility = data["utility"]
    utility |= {"late_interest_percent": "0.160", "iban": "EE382200221020145686",
                "bic": "HABA1E2X", "vat_number": "EE101987654"}
    utility["prices"] += [
        {"kind": "water", "variant": "II", "unit_price": "1", "valid_from": "2025-01-01"},
        {"kind": "sewer", "variant": "DN20", "unit_price": "1", "valid_from": "2025-01-01"},
        {"kind": "fixed_fee", "variant": "III", "unit_price": "1", "valid_from": "2025-01-01"},
    ]
    utility["vat_rates"] += [{"rate_percent": "120", "valid_from": "2026-01-01"},
                             {"rate_percent": "24", "valid_from": "2025-07-01"}]

    errors = errors_of(data)

    assert errors == [
        "utility (code demo): late_interest_percent: 0.160 % a day is above the cap of "
        "0.15 % a day (KEE §41(3))",
        "utility (code demo): iban: invalid IBAN (wrong check digits or length)",
        "utility (code demo): bic: invalid BIC",
        "utility (code demo): vat_number: invalid VAT number (wrong country prefix or check "
        "digit)",
        'utility.prices[4] (kind water, variant II, valid_from 2025-01-01): variant: a water '
        'price\'s variant is "": it has no variant, not "II"',
        'utility.prices[5] (kind sewer, variant DN20, valid_from 2025-01-01): variant: a sewer '
        'price\'s variant is a pollution group (I, II or III) or "" for all groups, not "DN20"',
        'utility.prices[6] (kind fixed_fee, variant III, valid_from 2025-01-01): variant: a '
        'fixed_fee price\'s variant is a meter size such as "DN20" or "" for all sizes, '
        'not "III"',
        "utility.vat_rates[2] (valid_from 2026-01-01): rate_percent: 120 is more than 100 %",
        "utility.vat_rates[3] (valid_from 2025-07-01): duplicate of utility.vat_rates[1] "
        "(same natural key)",
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.usefixtures("app")
def test_billing_fields_of_the_wrong_shape_are_schema_errors() -> None:
    data = billing_document()
    data["utility"]["invoice_due_days"] = 91
    data["utility"]["vat_rates"][0]["rate_percent"] = 22
    data["contracts"][0] |= {"pollution_group": "IV", "residents": -1,
                             "invoice_delivery": "fax"}
    data["meters"][0]["size"] = "20 mm"

    errors = errors_of(data)

    assert errors == [  # in the file's order: its meters come before its utility
        'meters[0] (number 0001): size: expected a meter\'s nominal size such as "DN15" or '
        '"DN20", got "20 mm"',
        "utility (code demo): invoice_due_days: 91 is greater than the maximum of 90",
        'utility.vat_rates[0] (valid_from 2024-01-01): rate_percent: expected a percentage '
        'as a decimal string with at most 2 decimals, e.g. "24" or "9.5", got 22',
        "contracts[0] (number L-1): invoice_delivery: 'fax' is not one of "
        "['email', 'e_invoice', 'post', None]",
        "contracts[0] (number L-1): pollution_group: 'IV' is not one of ['I', 'II', 'III']",
        "contracts[0] (number L-1): residents: -1 is less than the minimum of 0",
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.usefixtures("app")
def test_prices_overlap_only_within_their_kind_and_variant() -> None:
    load(build_demo_data(NOW))  # sewer II 2.2430 from 2025-07-01, open-ended
    data = {
        "format_version": 1,
        "utility": {
            "code": "demo", "name": "Saare Vesi AS",
            "prices": [
                {"kind": "sewer", "variant": "II", "unit_price": "2.5",
                 "valid_from": "2026-01-01"},
                # Another group or size on the same days is another price.
                {"kind": "sewer", "variant": "I", "unit_price": "1.7",
                 "valid_from": "2026-01-01"},
                {"kind": "fixed_fee", "variant": "DN25", "unit_price": "5",
                 "valid_from": "2024-01-01"},
            ],
        },
    }

    errors = errors_of(data)

    assert errors == [
        "utility.prices[0] (kind sewer, variant II, valid_from 2026-01-01): valid_from: "
        "overlaps the sewer (II) price from 2025-07-01",
    ]
    del data["utility"]["prices"][0]
    report = load(data)
    assert report.counts["prices"].created == 2


@pytest.mark.usefixtures("app")
def test_the_interest_cap_comes_from_the_rule_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.services import importer

    monkeypatch.setattr(importer, "percentage", lambda *_args: Decimal("0.05"))
    data = billing_document()
    data["utility"]["late_interest_percent"] = "0.06"

    assert errors_of(data) == [
        "utility (code demo): late_interest_percent: 0.06 % a day is above the cap of "
        "0.05 % a day (KEE §41(3))"]


@pytest.mark.usefixtures("app")
def test_demo_billing_data() -> None:
    load(build_demo_data(NOW))

    utility = db.session.scalars(select(Utility)).one()
    assert utility.iban == "EE382200221020145685"
    assert utility.bic and utility.vat_number and utility.address
    assert utility.late_interest_percent <= Decimal("0.15")  # KEE §41(3)
    rates = db.session.scalars(select(VatRate).order_by(VatRate.valid_from)).all()
    assert [(r.rate_percent, r.valid_from) for r in rates] == [
        (Decimal(22), dt.date(2024, 1, 1)), (Decimal(24), dt.date(2025, 7, 1))]
    in_force = {(p.kind, p.variant) for p in utility.prices if p.valid_until is None}
    assert in_force == {
        (PriceKind.WATER, ""), (PriceKind.SEWER, ""), (PriceKind.SEWER, "II"),
        (PriceKind.SEWER, "III"), (PriceKind.FIXED_FEE, ""), (PriceKind.FIXED_FEE, "DN15"),
        (PriceKind.FIXED_FEE, "DN20"), (PriceKind.CLOSURE_FEE, ""),
        (PriceKind.REOPENING_FEE, ""),
    }
    cold = [m for m in meters_of(KODU_HALDUS) if m.kind == MeterKind.COLD_WATER]
    assert {m.size for m in cold} == {"DN20"}
    (mari_meter,) = meters_of(CODES["Mari"])
    assert mari_meter.size == "DN15"
