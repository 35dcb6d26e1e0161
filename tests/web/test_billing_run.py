"""The monthly billing run (issue 11 item 2): invoices from readings in whole m³ with
the fraction carried, estimates corrected by the next reading, prices split by days,
sewer by pollution group, fixed and closing fees, residents without a meter (KEE §42),
a failed meter (KEE §38(1)), late interest (KEE §41(3)), rebate credits as
prepayments, and reruns that replace drafts and never issued invoices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from tests.conftest import JAAN, MARI
from webapp.domain import billing as rules
from webapp.domain.readings import PastReading
from webapp.extensions import db
from webapp.models import (
    BillingRun,
    ContractEvent,
    ContractEventKind,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Meter,
    MeterStatus,
    Payment,
    PaymentStatus,
    Person,
    Prepayment,
    PrepaymentKind,
    Price,
    PriceKind,
    RebateCredit,
    RebateRunStatus,
    ServiceContract,
    Site,
    UseSource,
    Utility,
    VatRate,
)
from webapp.services import billing_run, invoices
from webapp.services.access import today_in_tallinn
from webapp.services.billing_run import _State, meter_use

Login = Callable[[str], FlaskClient]
TODAY = today_in_tallinn()
LAST = billing_run.last_ended_period(TODAY)  # the last month that has ended
BEFORE = billing_run.last_ended_period(LAST)  # the month before it


@pytest.fixture
def billing(demo: None) -> Utility:
    """The demo with a VAT rate for every month the tests bill."""
    utility = db.session.scalars(select(Utility)).one()
    if db.session.scalar(select(func.count()).select_from(VatRate)) == 0:
        db.session.add(VatRate(utility_id=utility.id, rate_percent=Decimal(24),
                               valid_from=dt.date(2020, 1, 1)))
        db.session.commit()
    return utility


def bill(runner: Any, period: dt.date = LAST, *extra: str) -> Any:
    result = runner.invoke(args=["billing", "run", "--period", f"{period:%Y-%m}", *extra])
    db.session.expire_all()
    return result


def contract_of(personal_code: str) -> ServiceContract:
    """The person's first contract (Mari's metered home, not her unmetered plot)."""
    found = db.session.scalars(select(ServiceContract).join(Customer).join(Person).where(
        Person.personal_code == personal_code).order_by(ServiceContract.number)).first()
    assert found is not None
    return found


def invoice_of(personal_code: str, period: dt.date = LAST) -> Invoice:
    return db.session.scalars(select(Invoice).where(
        Invoice.contract_id == contract_of(personal_code).id,
        Invoice.period_start == period)).one()


def lines(invoice: Invoice, kind: LineKind) -> list[InvoiceLine]:
    return [line for line in invoice.lines if line.kind is kind]


# --------------------------------------------------------------------------- the run


def test_the_run_bills_every_contract_in_whole_m3_and_carries_the_fraction(
        billing: Utility, runner: Any) -> None:
    result = bill(runner, LAST, "--issue")
    assert result.exit_code == 0, result.output
    contracts = db.session.scalar(select(func.count()).select_from(ServiceContract))
    assert f"{contracts} contract(s) in force, {contracts} invoice(s) computed, " \
           f"{contracts} issued" in result.output
    for invoice in db.session.scalars(select(Invoice)):
        assert invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
        assert invoice.number is not None and invoice.reference_number is not None
        assert invoice.due_date == TODAY + dt.timedelta(days=billing.invoice_due_days)
        for line in lines(invoice, LineKind.WATER):
            # KEE §41(1): whole m³; what is left of the fraction goes to the next period.
            assert line.quantity == line.quantity.to_integral_value()
            assert line.measured is not None and line.carry_after is not None
            assert line.quantity + line.carry_after == line.measured + line.carry_before
            assert Decimal(0) <= line.carry_after < 1
        assert invoice.net == sum((line.net for line in invoice.lines), Decimal(0))
        assert invoice.vat == rules.round_cents(invoice.net * Decimal("0.24"))
        assert invoice.gross == invoice.net + invoice.vat
    mari = invoice_of(MARI)
    (water,) = lines(mari, LineKind.WATER)
    (sewer,) = lines(mari, LineKind.SEWER)
    assert sewer.quantity == water.quantity  # KEE §40(1): sewer as much as water
    assert water.unit_price == Decimal("1.3100") and sewer.unit_price == Decimal("1.6020")
    numbers = sorted(invoice.number or "" for invoice in db.session.scalars(select(Invoice)))
    assert numbers == [invoices.invoice_number(TODAY.year, n) for n in range(1, contracts + 1)]
    (finished,) = db.session.scalars(select(BillingRun))
    assert finished.status is RebateRunStatus.FINISHED and finished.processed == contracts


def test_a_rerun_replaces_drafts_and_never_touches_issued_invoices(
        billing: Utility, runner: Any) -> None:
    assert bill(runner).exit_code == 0
    drafts = {(invoice.contract_id, invoice.run_id)
              for invoice in db.session.scalars(select(Invoice))}
    assert all(invoice.status is InvoiceStatus.DRAFT
               for invoice in db.session.scalars(select(Invoice)))
    assert bill(runner).exit_code == 0
    again = {(invoice.contract_id, invoice.run_id)
             for invoice in db.session.scalars(select(Invoice))}
    # The second run's drafts replaced the first run's, one a contract.
    assert len(again) == len(drafts) and not again & drafts
    assert {contract for contract, _ in again} == {contract for contract, _ in drafts}
    issued = bill(runner, LAST, "--issue")
    assert issued.exit_code == 0
    kept = {(invoice.id, invoice.number, invoice.gross)
            for invoice in db.session.scalars(select(Invoice))}
    once_more = bill(runner, LAST, "--issue")
    assert once_more.exit_code == 0, once_more.output
    assert f"0 invoice(s) computed, 0 issued, {len(kept)} issued before and kept" \
        in once_more.output
    assert {(invoice.id, invoice.number, invoice.gross)
            for invoice in db.session.scalars(select(Invoice))} == kept


def test_the_next_month_starts_where_the_issued_one_ended(billing: Utility,
                                                          runner: Any) -> None:
    assert bill(runner, BEFORE, "--issue").exit_code == 0
    assert bill(runner, LAST).exit_code == 0
    (first,) = lines(invoice_of(MARI, BEFORE), LineKind.WATER)
    (second,) = lines(invoice_of(MARI, LAST), LineKind.WATER)
    assert second.start_value == first.end_value
    assert second.carry_before == first.carry_after
    assert second.first_day == first.last_day + dt.timedelta(days=1)


def test_a_month_that_is_not_over_or_has_no_vat_rate_is_refused(
        billing: Utility, runner: Any) -> None:
    this_month = TODAY.replace(day=1)
    result = bill(runner, this_month)
    assert result.exit_code == 1
    assert "has not ended yet" in result.output and "Nothing was billed." in result.output
    db.session.execute(delete(VatRate))
    db.session.commit()
    result = bill(runner)
    assert result.exit_code == 1 and "There is no VAT rate in force" in result.output
    bad = runner.invoke(args=["billing", "run", "--period", "2026-13"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert db.session.scalar(select(func.count()).select_from(BillingRun)) == 0


def test_one_run_at_a_time(billing: Utility, app: Flask) -> None:
    with app.test_request_context():
        billing_run.begin_run(billing, LAST, TODAY, None)
        db.session.commit()
        with pytest.raises(billing_run.RunRefused, match="going already"):
            billing_run.begin_run(billing, LAST, TODAY, None)


# --------------------------------------------------------------------------- prices


def test_a_price_change_within_the_month_splits_the_lines_by_days(
        billing: Utility, runner: Any) -> None:
    change = LAST + dt.timedelta(days=10)
    current = db.session.scalars(select(Price).where(
        Price.kind == PriceKind.WATER, Price.valid_until.is_(None))).one()
    current.valid_until = change - dt.timedelta(days=1)
    db.session.add(Price(utility_id=billing.id, kind=PriceKind.WATER,
                         unit_price=Decimal("2.0000"), valid_from=change))
    db.session.commit()
    assert bill(runner).exit_code == 0
    old, new = lines(invoice_of(MARI), LineKind.WATER)
    days = (billing_run.period_end(LAST) - LAST).days + 1
    assert (old.first_day, old.last_day, old.unit_price) == (
        LAST, change - dt.timedelta(days=1), current.unit_price)
    assert (new.first_day, new.unit_price) == (change, Decimal("2.0000"))
    total = Decimal(int(old.quantity + new.quantity))  # whole m³, split in whole m³
    assert old.quantity == rules.split_by_prices(
        LAST, billing_run.period_end(LAST), total,
        [rules.PricePeriod(LAST, change - dt.timedelta(days=1), current.unit_price),
         rules.PricePeriod(change, None, Decimal(2))])[0].quantity
    assert 0 < old.quantity < total and days > 10


def only_prices(kind: PriceKind, variant: str = "") -> None:
    db.session.execute(delete(Price).where(Price.kind == kind, Price.variant == variant))


def test_the_sewer_price_follows_the_pollution_group(billing: Utility, runner: Any) -> None:
    only_prices(PriceKind.SEWER, "II")
    db.session.add(Price(utility_id=billing.id, kind=PriceKind.SEWER, variant="II",
                         unit_price=Decimal("2.5000"), valid_from=dt.date(2020, 1, 1)))
    contract = contract_of(MARI)
    contract.pollution_group = "II"  # type: ignore[assignment]
    db.session.commit()
    assert bill(runner).exit_code == 0
    (sewer,) = lines(invoice_of(MARI), LineKind.SEWER)
    assert sewer.unit_price == Decimal("2.5000") and sewer.variant == "II"
    (jaan_sewer, *_) = lines(invoice_of(JAAN), LineKind.SEWER)
    assert jaan_sewer.unit_price == Decimal("1.6020")  # group I: the general price


def test_fixed_fee_by_meter_size_and_closing_fee(billing: Utility, runner: Any) -> None:
    only_prices(PriceKind.FIXED_FEE, "DN15")
    only_prices(PriceKind.CLOSURE_FEE)
    db.session.add_all([
        Price(utility_id=billing.id, kind=PriceKind.FIXED_FEE, variant="DN15",
              unit_price=Decimal("3.5000"), valid_from=dt.date(2020, 1, 1)),
        Price(utility_id=billing.id, kind=PriceKind.CLOSURE_FEE,
              unit_price=Decimal("25.0000"), valid_from=dt.date(2020, 1, 1)),
        ContractEvent(contract_id=contract_of(MARI).id, kind=ContractEventKind.CLOSURE,
                      effective_on=LAST + dt.timedelta(days=4)),
    ])
    db.session.commit()
    assert bill(runner).exit_code == 0
    invoice = invoice_of(MARI)
    (fee,) = lines(invoice, LineKind.FIXED_FEE)
    assert (fee.quantity, fee.unit, fee.net) == (Decimal(1), "MON", Decimal("3.50"))
    (closing,) = lines(invoice, LineKind.CLOSURE_FEE)
    assert closing.net == Decimal("25.00") and closing.first_day == LAST + dt.timedelta(days=4)


# --------------------------------------------------------------------------- use


def test_a_contract_without_a_meter_pays_for_its_residents(billing: Utility,
                                                           runner: Any) -> None:
    contract = contract_of(MARI)
    for meter in db.session.scalars(select(Meter).join(Site).where(
            Site.id.in_([site.id for site in contract.sites]))):
        meter.status = MeterStatus.REMOVED
    contract.residents = 2
    db.session.commit()
    assert bill(runner).exit_code == 0
    (water,) = lines(invoice_of(MARI), LineKind.WATER)
    assert water.source is UseSource.RESIDENTS
    assert water.measured == 2 * billing.resident_norm_m3  # KEE §42: a whole month
    assert water.quantity == 6 and invoice_of(MARI).has_estimates


def test_no_meter_and_no_residents_is_listed_and_the_run_goes_on(
        billing: Utility, runner: Any) -> None:
    contract = contract_of(MARI)
    for meter in db.session.scalars(select(Meter).join(Site).where(
            Site.id.in_([site.id for site in contract.sites]))):
        meter.status = MeterStatus.REMOVED
    db.session.commit()
    result = bill(runner)
    assert result.exit_code == 0
    assert f"Not billed (1):\n  {contract.number}: no meter and no number of residents " \
           "(KEE §42)" in result.output
    assert invoice_of(JAAN).status is InvoiceStatus.DRAFT


def test_a_failed_meter_is_billed_at_the_average_of_three_months(
        billing: Utility, runner: Any) -> None:
    meter = db.session.scalars(select(Meter).where(Meter.number == "00123456")).one_or_none()
    if meter is None:  # the demo's numbering: Mari's main meter is her site's first
        meter = db.session.scalars(select(Meter).join(Site).where(
            Site.code == "TK-10001")).first()
    assert meter is not None
    found = LAST + dt.timedelta(days=9)
    meter.failure_found_on = found
    db.session.commit()
    assert bill(runner).exit_code == 0
    (water,) = lines(invoice_of(MARI), LineKind.WATER)
    assert water.source is UseSource.FAILED_METER
    readings = [PastReading(reading.reading_date, reading.value)
                for reading in meter_readings(meter.id) if reading.reading_date < found]
    days = (billing_run.period_end(LAST) - LAST).days + 1
    assert water.measured == rules.failed_meter_use(readings, found, days)


def meter_readings(meter_id: int) -> list[Any]:
    from webapp.models import Reading

    return list(db.session.scalars(select(Reading).where(
        Reading.meter_id == meter_id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date)))


def test_an_estimate_is_corrected_by_the_next_real_reading() -> None:
    # 1 m³ a day over the 304 days of the last 12 months that have readings.
    readings = [PastReading(dt.date(2025, 11, 30), Decimal(161)),
                PastReading(dt.date(2026, 9, 30), Decimal(465))]
    october = meter_use(readings, None, 1, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert october is not None and october.source is UseSource.ESTIMATED
    assert october.measured == Decimal(31) and october.end_value == Decimal(496)
    # The real reading of 30 November says 480: November bills 480 - 496 = -16 m³,
    # so October and November together bill what the meter measured, 15 m³.
    readings.append(PastReading(dt.date(2026, 11, 30), Decimal(480)))
    state = _State(1, dt.date(2026, 10, 31), october.end_value, Decimal(0))
    november = meter_use(readings, state, 1, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert november is not None and november.source is UseSource.READINGS
    assert november.measured == Decimal(-16)
    assert october.measured + november.measured == Decimal(480 - 465)


def test_a_reading_after_the_month_interpolates_its_end() -> None:
    readings = [PastReading(dt.date(2026, 10, 31), Decimal(100)),
                PastReading(dt.date(2026, 12, 10), Decimal(140))]
    use = meter_use(readings, None, 1, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert use is not None and use.source is UseSource.INTERPOLATED
    assert use.end_value == Decimal("130.000") and use.measured == Decimal(30)


# --------------------------------------------------------------------------- money


def test_an_invoice_paid_ten_days_late_gets_the_interest_on_the_next_one(
        billing: Utility, runner: Any) -> None:
    assert bill(runner, BEFORE, "--issue").exit_code == 0
    earlier = invoice_of(MARI, BEFORE)
    due = LAST + dt.timedelta(days=4)
    earlier.due_date = due
    paid_on = due + dt.timedelta(days=10)
    db.session.add(Payment(account_iban="EE382200221020145685", entry_reference="E1",
                           booked_on=paid_on, amount=earlier.payable,
                           status=PaymentStatus.MATCHED, invoice_id=earlier.id))
    invoices.receive(earlier, earlier.payable, paid_on)
    db.session.commit()
    assert bill(runner).exit_code == 0
    (interest,) = lines(invoice_of(MARI), LineKind.LATE_INTEREST)
    # KEE §41(3): the utility's rate a day for the ten days from the day after the due date
    # through the day the money arrived.
    assert interest.source_invoice_id == earlier.id
    assert (interest.first_day, interest.last_day) == (due + dt.timedelta(days=1), paid_on)
    rate = billing.late_interest_percent / 100
    assert interest.net == rules.round_cents(earlier.payable * rate * 10)
    assert interest.vat_rate == 0
    # Charged once: issued, the next month's run charges nothing more for it.
    assert bill(runner, LAST, "--issue").exit_code == 0
    later = billing_run.last_ended_period(TODAY + dt.timedelta(days=40))
    if later > LAST:  # pragma: no cover - only once the next month has ended
        return
    owed = billing_run._owed([earlier.contract_id], billing_run.period_end(LAST) +
                             dt.timedelta(days=40))
    (again,) = owed[earlier.contract_id]
    assert again.charged_until == paid_on


def test_a_part_payment_lowers_the_interest_from_the_next_day(billing: Utility) -> None:
    owed = billing_run._Owed(1, "2026-000001", dt.date(2026, 10, 15), Decimal("100.00"),
                             None, None, ((dt.date(2026, 10, 20), Decimal("60.00")),))
    bill_ = billing_run._Bill(None)  # type: ignore[arg-type]
    billing.late_interest_percent = Decimal("0.100")
    billing_run._late_interest(bill_, owed, dt.date(2026, 10, 31), billing, Decimal("0.15"))
    # 16.-20.10: 5 days on 100 EUR; 21.-31.10: 11 days on 40 EUR; 0.1 % a day.
    (line,) = bill_.lines
    assert line["net"] == Decimal("0.50") + Decimal("0.44")
    db.session.rollback()


def test_a_waived_invoice_gets_no_interest(billing: Utility, runner: Any) -> None:
    assert bill(runner, BEFORE, "--issue").exit_code == 0
    earlier = invoice_of(MARI, BEFORE)
    earlier.due_date = LAST + dt.timedelta(days=2)
    earlier.interest_waived = True  # KEE §41(3): the invoice was wrong
    db.session.commit()
    assert bill(runner).exit_code == 0
    assert lines(invoice_of(MARI), LineKind.LATE_INTEREST) == []


def test_rebate_credits_are_prepayments_applied_once(billing: Utility, runner: Any,
                                                     login: Login) -> None:
    from tests.web.test_rebate_run import jaans
    from tests.web.test_rebate_run import run as rebate_run

    jaans(login)
    assert rebate_run(runner).exit_code == 0
    credit = db.session.scalars(select(RebateCredit)).one().amount_eur
    assert credit > 0
    assert bill(runner).exit_code == 0
    first = invoice_of(JAAN)
    assert first.prepayment_applied == min(credit, first.gross)
    assert first.payable == first.gross - first.prepayment_applied
    assert invoices.prepayment_balance(first.customer_id) == credit - first.prepayment_applied
    applied, customer_id = first.prepayment_applied, first.customer_id
    # A rerun replaces the draft and its use of the prepayment: never used twice.
    assert bill(runner).exit_code == 0
    again = invoice_of(JAAN)
    assert again.prepayment_applied == applied
    assert db.session.scalar(select(func.count()).select_from(Prepayment).where(
        Prepayment.kind == PrepaymentKind.REBATE)) == 1
    assert invoices.prepayment_balance(customer_id) == credit - again.prepayment_applied
    # With the rebate application in force the garden sub-meter is not deducted
    # monthly: the rebate does it (ELVESO 3.4).
    assert all(line.quantity >= 0 for line in lines(again, LineKind.SEWER))


def test_closure_warning_candidates_wait_five_working_days(billing: Utility,
                                                           runner: Any) -> None:
    assert bill(runner, LAST, "--issue").exit_code == 0
    invoice = invoice_of(MARI)
    invoice.due_date = dt.date(2026, 12, 18)  # a Friday before Christmas
    db.session.commit()
    # KEE §43(2): five working days after 18.12 end on 29.12 (24.-26.12 are
    # holidays); the warning may go from 30.12.
    assert invoice not in billing_run.closure_warning_candidates(dt.date(2026, 12, 29))
    assert invoice in billing_run.closure_warning_candidates(dt.date(2026, 12, 30))


# --------------------------------------------------------------------------- the staff pages


def test_the_clerk_runs_checks_and_issues_a_month_from_the_pages(
        billing: Utility, login: Login) -> None:
    from tests.conftest import CLERK, csrf_token_from

    clerk = login(CLERK)
    page = clerk.get("/staff/billing/").get_data(as_text=True)
    assert f'value="{LAST:%Y-%m}"' in page  # the last month that ended, suggested
    wrong = clerk.post("/staff/billing/", data={"csrf_token": csrf_token_from(page),
                                                "period": "October"})
    assert wrong.status_code == 422 and "YYYY-MM" in wrong.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BillingRun)) == 0
    started = clerk.post("/staff/billing/", data={"csrf_token": csrf_token_from(page),
                                                  "period": f"{LAST:%Y-%m}"})
    assert started.status_code == 303
    result = clerk.get(started.headers["Location"]).get_data(as_text=True)
    contracts = db.session.scalar(select(func.count()).select_from(ServiceContract))
    assert f'data-testid="computed">{contracts}<' in result
    confirm = clerk.get(f"/staff/billing/issue?period={LAST:%Y-%m}").get_data(as_text=True)
    assert "never changes" in confirm
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.status != InvoiceStatus.DRAFT)) == 0  # nothing issued before confirming
    issued = clerk.post("/staff/billing/issue", data={"csrf_token": csrf_token_from(confirm),
                                                      "period": f"{LAST:%Y-%m}"})
    assert issued.status_code == 303
    listing = clerk.get(issued.headers["Location"]).get_data(as_text=True)
    assert f"{contracts} invoice(s) of {LAST:%m.%Y} were issued" in listing
    mari = invoice_of(MARI)
    assert mari.number is not None and mari.number in listing
    detail = clerk.get(f"/staff/billing/invoices/{mari.id}").get_data(as_text=True)
    assert mari.reference_number is not None and mari.reference_number in detail
    from webapp.models import AuditEvent

    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view_invoice", AuditEvent.object_id == str(mari.id))) == 1


def test_an_overdue_invoice_refuses_the_rebate(billing: Utility, runner: Any,
                                               login: Login) -> None:
    """ELVESO 3.6.1 and 2.1.6: the season run reads the debts from the portal's invoices."""
    from tests.web.test_rebate_run import current_decisions, jaans
    from tests.web.test_rebate_run import run as rebate_run

    jaans(login)
    assert bill(runner, LAST, "--issue").exit_code == 0
    invoice = invoice_of(JAAN)
    invoice.due_date = TODAY - dt.timedelta(days=1)  # unpaid, and due yesterday
    db.session.commit()
    assert rebate_run(runner).exit_code == 0
    (decision,) = current_decisions()
    assert not decision.eligible
    assert "overdue_debt" in {check["id"] for check in decision.failed_checks}
    invoices.receive(invoice, invoice.payable, TODAY)  # paid late, but paid
    db.session.commit()
    assert rebate_run(runner).exit_code == 0
    (decision,) = current_decisions()
    assert "overdue_debt" not in {check["id"] for check in decision.failed_checks}


def test_issuing_tells_each_customer_by_e_mail_in_their_language(billing: Utility,
                                                               runner: Any) -> None:
    from webapp.models import Notification

    mari = contract_of(MARI).customer
    mari.email, mari.locale = "mari@example.ee", "et"
    db.session.commit()
    assert bill(runner, LAST, "--issue").exit_code == 0
    invoice = invoice_of(MARI)
    (message,) = db.session.scalars(select(Notification).where(
        Notification.object_type == "invoice", Notification.object_id == str(invoice.id)))
    assert message.email == "mari@example.ee" and invoice.number in message.subject
    assert str(invoice.reference_number) in message.body
    assert f"{invoice.due_date:%d.%m.%Y}" in message.body
    with_address = db.session.scalar(select(func.count()).select_from(Invoice).join(
        Customer, Customer.id == Invoice.customer_id).where(Customer.email.is_not(None)))
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.object_type == "invoice")) == with_address
