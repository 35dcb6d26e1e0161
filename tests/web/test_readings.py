"""Sending readings through the portal (ITB 1): the standard and the mass view, the
checks, warnings that need a confirmation, a form sent twice, the history, and
bad input of every kind answered without a 500."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import JAAN, KATI, MARI, PEETER, csrf_token_from
from webapp.extensions import db
from webapp.models import Meter, Reading, ReadingChannel, Site, SiteGroup
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]

MARIS_METER = "00123456"
JAANS_GARDEN_METER = "00234568"
KINGU = "TK-20002"


def meter(number: str) -> Meter:
    found = db.session.scalar(select(Meter).where(Meter.number == number))
    assert found is not None
    return found


def readings_of(number: str) -> list[Reading]:
    return list(db.session.scalars(
        select(Reading).where(Reading.meter_id == meter(number).id).order_by(Reading.id)))


def last_value(number: str) -> Decimal:
    current = [r for r in readings_of(number) if r.replaced_by_id is None]
    return max(current, key=lambda r: (r.reading_date, r.id)).value


def form_of(client: FlaskClient, url: str = "/my/readings") -> tuple[str, dict[str, str]]:
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token
    return html, {"csrf_token": csrf_token_from(html), "token": token.group(1), "channel": "web"}


def send(client: FlaskClient, values: dict[str, str], url: str = "/my/readings",
         **extra: str):  # type: ignore[no-untyped-def]
    _html, data = form_of(client, url)
    data.update(extra)
    data.update({f"reading-{meter(number).id}": text for number, text in values.items()})
    return client.post(url, data=data)


# --------------------------------------------------------------------------- the views


def test_mari_sees_the_standard_view_with_her_last_reading(login: Login) -> None:
    html = login(MARI).get("/my/readings").get_data(as_text=True)
    assert html.count('name="reading-') == 1
    assert "Enter reading" in html or "Sisesta näit" in html
    last = readings_of(MARIS_METER)[-1]
    assert last.reading_date.strftime("%d.%m.%Y") in html


def test_kati_sees_the_mass_view_of_every_meter_and_the_smart_ones_read_remotely(
    login: Login,
) -> None:
    html = login(KATI).get("/my/readings").get_data(as_text=True)
    assert html.count('name="reading-') == 12
    assert html.count('class="reading-input"') == 12
    for number in ("00456001", "00456002"):
        assert number in html  # listed, but smart meters send their own readings
    assert 'id="site-switch"' in html
    assert "/my/readings/import" in html  # a large customer: CSV import offered


def test_the_site_switcher_limits_the_list_to_one_site(login: Login) -> None:
    client = login(KATI)
    kingu = db.session.scalar(select(Site).where(Site.code == KINGU))
    html = client.get(f"/my/readings?site={kingu.id}").get_data(as_text=True)
    assert html.count('name="reading-') == 4
    partial = client.get(f"/my/readings?site={kingu.id}", headers={"HX-Request": "true"})
    assert partial.get_data(as_text=True).lstrip().startswith('<div id="readings-list">')
    assert "HX-Request" in partial.headers["Vary"]


def test_peeter_sees_only_his_one_site(login: Login) -> None:
    html = login(PEETER).get("/my/readings").get_data(as_text=True)
    assert html.count('name="reading-') == 4
    assert "Kingu tn 11" in html
    assert "Tallinna tn 62" not in html and "Smuuli" not in html
    assert 'id="site-switch"' not in html


def test_another_site_in_the_address_is_404(login: Login) -> None:
    jaans = db.session.scalar(select(Site).where(Site.code == "TK-10002"))
    assert login(MARI).get(f"/my/readings?site={jaans.id}").status_code == 404
    assert login(MARI).get("/my/readings?site=abc").status_code == 404


# --------------------------------------------------------------------------- sending


def test_a_reading_is_saved_with_its_channel_and_sender_and_shown_in_the_history(
    login: Login,
) -> None:
    client = login(MARI)
    new = last_value(MARIS_METER) + Decimal("0.15")
    response = send(client, {MARIS_METER: f"{new}".replace(".", ",")})
    assert response.status_code == 303
    saved = readings_of(MARIS_METER)[-1]
    assert saved.value == new
    assert saved.channel is ReadingChannel.WEB
    assert saved.reading_date == today_in_tallinn()
    assert saved.submitted_by.personal_code == MARI
    history = client.get(f"/my/meters/{meter(MARIS_METER).id}").get_data(as_text=True)
    assert f"{new:,.3f}" in history  # as the English page shows it


def test_a_reading_below_the_last_one_is_refused_and_the_typed_value_kept(login: Login) -> None:
    before = len(readings_of(MARIS_METER))
    low = last_value(MARIS_METER) - 1
    response = send(login(MARI), {MARIS_METER: str(low)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'value="{low}"' in html
    assert 'aria-invalid="true"' in html
    assert len(readings_of(MARIS_METER)) == before


def test_an_unusual_reading_is_saved_only_after_it_is_confirmed(login: Login) -> None:
    client = login(MARI)
    before = len(readings_of(MARIS_METER))
    high = str(last_value(MARIS_METER) + 500)
    first = send(client, {MARIS_METER: high})
    assert first.status_code == 422
    assert "confirm-" in first.get_data(as_text=True)
    assert len(readings_of(MARIS_METER)) == before
    confirmed = send(client, {MARIS_METER: high}, **{f"confirm-{meter(MARIS_METER).id}": "yes"})
    assert confirmed.status_code == 303
    assert readings_of(MARIS_METER)[-1].value == Decimal(high)


def test_the_same_form_sent_twice_saves_one_reading(login: Login) -> None:
    client = login(MARI)
    _html, data = form_of(client)
    data[f"reading-{meter(MARIS_METER).id}"] = str(last_value(MARIS_METER) + Decimal("0.1"))
    before = len(readings_of(MARIS_METER))
    assert client.post("/my/readings", data=data).status_code == 303
    again = client.post("/my/readings", data=data, follow_redirects=True)
    assert again.status_code == 200
    assert len(readings_of(MARIS_METER)) == before + 1


def test_a_second_reading_of_the_same_day_replaces_the_first_and_both_are_kept(
    login: Login,
) -> None:
    client = login(MARI)
    base = last_value(MARIS_METER)
    assert send(client, {MARIS_METER: str(base + Decimal("0.2"))}).status_code == 303
    assert send(client, {MARIS_METER: str(base + Decimal("0.1"))}).status_code == 303
    first, second = readings_of(MARIS_METER)[-2:]
    assert first.replaced_by_id == second.id
    assert second.replaced_by_id is None and second.value == base + Decimal("0.1")
    history = client.get(f"/my/meters/{meter(MARIS_METER).id}").get_data(as_text=True)
    assert "reading--replaced" in history


def test_the_mass_view_saves_the_valid_rows_and_shows_the_others_again(login: Login) -> None:
    client = login(KATI)
    numbers = [m.number for m in db.session.scalars(
        select(Meter).join(Site).where(Site.code == KINGU).order_by(Meter.number))]
    good, bad = numbers[0], numbers[1]
    response = send(client, {good: str(last_value(good) + Decimal("0.1")), bad: "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="abc"' in html
    assert readings_of(good)[-1].value == last_value(good)
    assert readings_of(good)[-1].channel is ReadingChannel.WEB


def test_an_empty_form_says_so(login: Login) -> None:
    response = send(login(KATI), {})
    assert response.status_code == 422


def test_another_customers_meter_in_the_form_is_404_and_nothing_is_saved(login: Login) -> None:
    before = len(readings_of(MARIS_METER))
    response = send(login(KATI), {MARIS_METER: str(last_value(MARIS_METER) + Decimal("0.1"))})
    assert response.status_code == 404
    assert len(readings_of(MARIS_METER)) == before


def test_a_smart_meter_takes_no_reading_from_a_form(login: Login) -> None:
    response = send(login(KATI), {"00456001": "999999"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "text",
    ["x" * 100_000, "-5", "1e309", "NaN", "Infinity", "١٢٣", "１２３", "1,2345", "0x10",
     "1000000000000", "<script>", "\x00"],
)
def test_bad_input_gets_a_clear_error_and_never_a_500(login: Login, text: str) -> None:
    before = len(readings_of(MARIS_METER))
    response = send(login(MARI), {MARIS_METER: text})
    assert response.status_code == 422
    assert '<p class="field-error">' in response.get_data(as_text=True)
    assert len(readings_of(MARIS_METER)) == before


@pytest.mark.parametrize(("field", "value"), [("token", ""), ("token", "x" * 500),
                                              ("channel", "api")])
def test_a_tampered_form_is_refused(login: Login, field: str, value: str) -> None:
    client = login(MARI)
    _html, data = form_of(client)
    data[f"reading-{meter(MARIS_METER).id}"] = str(last_value(MARIS_METER) + Decimal("0.1"))
    data[field] = value
    assert client.post("/my/readings", data=data).status_code == 400


def test_a_garden_sub_meter_with_an_expired_verification_takes_no_reading(login: Login) -> None:
    garden = meter(JAANS_GARDEN_METER)
    garden.verified_until = today_in_tallinn() - dt.timedelta(days=1)
    db.session.commit()
    value = last_value(JAANS_GARDEN_METER) + Decimal("0.1")
    response = send(login(JAAN), {JAANS_GARDEN_METER: str(value)})
    assert response.status_code == 422
    assert "+372 450 0000" in response.get_data(as_text=True)  # whom to call


def test_inline_validation_answers_one_field(login: Login) -> None:
    client = login(MARI)
    _html, data = form_of(client)
    meter_id = meter(MARIS_METER).id
    before = len(readings_of(MARIS_METER))
    response = client.post("/my/readings/check", data={
        "meter": str(meter_id), f"reading-{meter_id}": "abc"},
        headers={"X-CSRFToken": data["csrf_token"], "HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<div class="reading-feedback" id="feedback-{meter_id}"')
    assert "field-error" in fragment
    assert len(readings_of(MARIS_METER)) == before


def test_a_post_without_the_csrf_token_is_refused(login: Login) -> None:
    response = login(MARI).post("/my/readings", data={"token": "x" * 20})
    assert response.status_code == 400


# --------------------------------------------------------------------------- history


def test_the_history_has_a_chart_with_a_text_alternative_and_a_table(login: Login) -> None:
    html = login(MARI).get(f"/my/meters/{meter(MARIS_METER).id}").get_data(as_text=True)
    assert '<svg' in html and 'role="img"' in html and "<desc" in html
    assert 'style="' not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert html.count('class="chart-bar"') >= 20  # two years of monthly readings


def test_the_history_csv_keeps_cells_from_running_as_formulas(login: Login) -> None:
    client = login(MARI)
    mari = db.session.scalar(select(Meter).where(Meter.number == MARIS_METER))
    person = readings_of(MARIS_METER)[-1].submitted_by
    assert person is not None
    person.given_name = "=HYPERLINK(1)"
    db.session.commit()
    response = client.get(f"/my/meters/{mari.id}/readings.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body
    assert "\n=HYPERLINK" not in body and ";=HYPERLINK" not in body


def test_another_customers_meter_history_is_404(login: Login) -> None:
    client = login(KATI)
    assert client.get(f"/my/meters/{meter(MARIS_METER).id}").status_code == 404
    assert client.get(f"/my/meters/{meter(MARIS_METER).id}/readings.csv").status_code == 404


# --------------------------------------------------------------------------- queries


def count_queries(client: FlaskClient, url: str) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    # Every engine: the client's app has its own, not the test body's twin's.
    event.listen(Engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    assert statements, "no SQL seen: the counter listens to the wrong engine"
    return len(statements)


def add_meters(site_code: str, count: int) -> None:
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    start = db.session.scalar(select(func.count(Meter.id)))
    for index in range(count):
        number = f"Q{start + index:07d}"
        db.session.add(Meter(number=number, site_id=site.id, kind="cold_water",
                             installed_on=dt.date(2020, 1, 1)))
        db.session.flush()
        db.session.add(Reading(meter_id=db.session.scalar(
            select(Meter.id).where(Meter.number == number)), value=Decimal(index),
            reading_date=dt.date(2026, 1, 1), channel=ReadingChannel.WEB))
    db.session.commit()


def test_the_mass_view_needs_the_same_queries_for_5_and_500_meters(login: Login) -> None:
    client = login(KATI)
    add_meters(KINGU, 5)
    few = count_queries(client, "/my/readings")
    add_meters(KINGU, 495)
    many = count_queries(client, "/my/readings")
    assert login(KATI).get("/my/readings").get_data(as_text=True).count('name="reading-') == 512
    assert few == many


# --------------------------------------------------------------------------- CSV import


def kodu_haldus_meters() -> list[str]:
    return list(db.session.scalars(
        select(Meter.number).join(Site).where(Site.code.in_(("TK-20001", "TK-20002", "TK-20003")),
                                              Meter.kind == "cold_water").order_by(Meter.number)))


def upload(client: FlaskClient, content: bytes, name: str = "readings.csv"):  # type: ignore[no-untyped-def]
    html = client.get("/my/readings/import").get_data(as_text=True)
    # Encoded here in memory: the test client would spool a large body to a temporary
    # file that it never closes.
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": csrf_token_from(html),
        "file": FileStorage(io.BytesIO(content), filename=name, content_type="text/csv")}))
    return client.post("/my/readings/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_the_import_page_explains_and_offers_a_template(login: Login) -> None:
    client = login(KATI)
    html = client.get("/my/readings/import").get_data(as_text=True)
    assert 'type="file"' in html and "/my/readings/import/template.csv" in html
    template = client.get("/my/readings/import/template.csv")
    assert template.mimetype == "text/csv"
    assert template.get_data().startswith(b"\xef\xbb\xbf")


def test_a_customer_with_one_meter_is_not_offered_the_import(login: Login) -> None:
    client = login(MARI)
    assert "/my/readings/import" not in client.get("/my/readings").get_data(as_text=True)
    assert client.get("/my/readings/import").status_code == 404


def test_the_csv_fills_the_mass_view_and_lists_each_rejected_row(login: Login) -> None:
    client = login(KATI)
    numbers = kodu_haldus_meters()
    lines = ["Arvesti;Näit;Kuupäev"]
    for number in numbers[:9]:
        lines.append(f"{number};{str(last_value(number) + Decimal('0.1')).replace('.', ',')};")
    lines.append(f"{numbers[9]};abc;")  # line 11: not a number
    lines.append(f"{numbers[10]};{last_value(numbers[10]) - 1};")  # line 12: below the last
    lines.append(f"{numbers[0]};1;")  # line 13: duplicate
    lines.append("99999999;5;")  # line 14: unknown
    lines.append(f"{MARIS_METER};5;")  # line 15: somebody else's
    before = {number: len(readings_of(number)) for number in numbers}
    response = upload(client, "\r\n".join(lines).encode("cp1257"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('value="') >= 9
    for number in numbers[:9]:
        assert f'name="reading-{meter(number).id}"' in html
    rejected = html.split('data-testid="rejected-rows"', 1)[1].split("</section>", 1)[0]
    for line in (11, 12, 13, 14, 15):
        assert f">{line}</td>" in rejected, line
    assert {number: len(readings_of(number)) for number in numbers} == before  # a preview
    assert 'name="channel" value="csv"' in html


def test_sending_the_preview_saves_the_rows_as_csv_readings_with_their_dates(
    login: Login,
) -> None:
    client = login(KATI)
    number = kodu_haldus_meters()[0]
    day = today_in_tallinn()
    response = upload(client, f"{number};{last_value(number) + Decimal('0.1')};"
                              f"{day:%d.%m.%Y}\n".encode())
    html = response.get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token
    value = re.search(rf'name="reading-{meter(number).id}"[^>]*value="([^"]+)"', html, re.S)
    assert value
    sent = client.post("/my/readings", data={
        "csrf_token": csrf_token_from(html), "token": token.group(1), "channel": "csv",
        f"reading-{meter(number).id}": value.group(1)})
    assert sent.status_code == 303
    saved = readings_of(number)[-1]
    assert saved.channel is ReadingChannel.CSV and saved.reading_date == day


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "readings.csv"),
     (b"1001;5\n" * 300_000, "big.csv"),
     (b"", "empty.csv"),
     (b"only one column\n", "one.csv")],
)
def test_a_file_that_is_not_a_readings_csv_is_refused_clearly(login: Login, content: bytes,
                                                              name: str) -> None:
    response = upload(login(KATI), content, name)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_no_file_chosen_is_a_clear_error(login: Login) -> None:
    client = login(KATI)
    html = client.get("/my/readings/import").get_data(as_text=True)
    response = client.post("/my/readings/import", data={"csrf_token": csrf_token_from(html)})
    assert response.status_code == 422


# --------------------------------------------------------------------------- groups


def site_id(code: str) -> int:
    return db.session.scalar(select(Site.id).where(Site.code == code))


def post_group(client: FlaskClient, url: str, name: str, sites: list[int]):  # type: ignore[no-untyped-def]
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token_from(html), "name": name,
                                  "sites": [str(s) for s in sites]})


def group_id(name: str) -> int:
    return db.session.scalar(select(SiteGroup.id).where(SiteGroup.name == name))


def test_kati_makes_a_group_and_filters_the_list_by_it(login: Login) -> None:
    client = login(KATI)
    two = [site_id("TK-20001"), site_id(KINGU)]
    response = post_group(client, "/my/readings/groups/", "  Kesklinn  ", two)
    assert response.status_code == 303
    group = group_id("Kesklinn")
    html = client.get(f"/my/readings?group={group}").get_data(as_text=True)
    assert html.count('name="reading-') == 8
    assert "Smuuli" not in html.split('id="readings-list"', 1)[1]
    everything = client.get("/my/readings").get_data(as_text=True)
    assert everything.count('name="reading-') == 12  # “all sites” is every site


def test_a_group_is_renamed_and_its_sites_changed(login: Login) -> None:
    client = login(KATI)
    post_group(client, "/my/readings/groups/", "Kesklinn", [site_id("TK-20001")])
    group = group_id("Kesklinn")
    response = post_group(client, f"/my/readings/groups/{group}", "Kingu", [site_id(KINGU)])
    assert response.status_code == 303
    db.session.expire_all()
    renamed = db.session.get(SiteGroup, group)
    assert renamed.name == "Kingu"
    assert [m.site_id for m in renamed.members] == [site_id(KINGU)]


def test_two_groups_of_one_person_cannot_share_a_name(login: Login) -> None:
    client = login(KATI)
    post_group(client, "/my/readings/groups/", "Kesklinn", [])
    response = post_group(client, "/my/readings/groups/", "Kesklinn", [])
    assert response.status_code == 422
    assert "already have a group" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SiteGroup.id))) == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_group_needs_a_sensible_name(login: Login, name: str) -> None:
    response = post_group(login(KATI), "/my/readings/groups/", name, [])
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(SiteGroup.id))) == 0


def test_a_site_of_somebody_else_cannot_be_put_in_a_group(login: Login) -> None:
    response = post_group(login(KATI), "/my/readings/groups/", "Minu", [site_id("TK-10001")])
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(SiteGroup.id))) == 0


def test_another_persons_group_is_404(login: Login) -> None:
    kati = login(KATI)
    post_group(kati, "/my/readings/groups/", "Kati oma", [site_id(KINGU)])
    group = group_id("Kati oma")
    peeter = login(PEETER)
    assert peeter.get(f"/my/readings/groups/{group}").status_code == 404
    assert peeter.get(f"/my/readings?group={group}").status_code == 404


def test_deleting_a_group_asks_first_and_leaves_the_sites(login: Login) -> None:
    client = login(KATI)
    post_group(client, "/my/readings/groups/", "Kesklinn", [site_id(KINGU)])
    group = group_id("Kesklinn")
    page = client.get(f"/my/readings/groups/{group}/delete").get_data(as_text=True)
    assert 'data-testid="confirm-delete"' in page
    assert db.session.get(SiteGroup, group) is not None  # asking deletes nothing
    response = client.post(f"/my/readings/groups/{group}/delete",
                           data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(SiteGroup, group) is None
    assert client.get("/my/readings").get_data(as_text=True).count('name="reading-') == 12


def test_groups_are_for_large_customers_only(login: Login) -> None:
    assert login(MARI).get("/my/readings/groups/").status_code == 404


def test_a_failing_database_saves_nothing_and_keeps_the_typed_values(
    login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    client = login(KATI)
    numbers = kodu_haldus_meters()[:2]
    before = {number: len(readings_of(number)) for number in numbers}
    typed = {number: str(last_value(number) + Decimal("0.1")) for number in numbers}

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(db.session, "commit", broken)
    response = send(client, typed)
    monkeypatch.undo()
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    for text in typed.values():
        assert f'value="{text}"' in html
    db.session.rollback()
    assert {number: len(readings_of(number)) for number in numbers} == before


def test_with_htmx_the_preview_and_a_refusal_replace_the_upload_form(login: Login) -> None:
    client = login(KATI)
    html = client.get("/my/readings/import").get_data(as_text=True)
    number = kodu_haldus_meters()[0]
    for content, status, start in ((f"{number};{last_value(number) + 1}\n".encode(), 200,
                                    '<div id="readings-page">'),
                                   (b"\x00\x01binary", 422, '<div id="import-page">')):
        boundary, body = encode_multipart(MultiDict({
            "csrf_token": csrf_token_from(html),
            "file": FileStorage(io.BytesIO(content), filename="r.csv")}))
        response = client.post("/my/readings/import", data=body, headers={"HX-Request": "true"},
                               content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == status
        assert response.get_data(as_text=True).lstrip().startswith(start)


def test_a_smart_meters_csv_gives_the_hour_of_each_reading(login: Login) -> None:
    client = login(KATI)
    body = client.get(f"/my/meters/{meter('00456001').id}/readings.csv").get_data(as_text=True)
    first_row = body.splitlines()[1]
    assert re.match(r"\d\d\.\d\d\.\d{4} \d\d:\d\d;", first_row), first_row
