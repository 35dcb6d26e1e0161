"""The council's what-if report (issue 10 item 5) through its pages: who sees it, bad
input, the figures of raising the ELVESO cap from 30 to 40 m³ over the demo's street
of gardens, and the PDF.

The street (webapp/demo_gardens.py): 17 households, sewer price 1.602 EUR/m³. At 30 m³
six gardens are under the cap (12, 18, 22, 25, 27, 29: 133 m³) and eleven are capped:
463 m³. At 40 five gain up to 10 EUR (31, 32, 33.5, 35, 36: +1 to +6 m³, 1.60 to 9.61
EUR) and six gain more (37, 39: +7 and +9 m³; 41, 45, 52, 60: +10 m³, 16.02 EUR):
536.5 m³.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from tests.acts.helpers import one_line, pdftotext
from tests.conftest import ADMIN, CLERK, INSPECTOR, MARI
from webapp.demo_gardens import add_garden_applications, build_garden_street
from webapp.extensions import db
from webapp.services.access import today_in_tallinn
from webapp.services.importer import import_master_data

Login = Callable[[str], FlaskClient]
COUNCIL_MEMBER = "47208080805"  # Kadri Kuusk
URL = "/council/what-if"
CAP_40 = {"rule_set": "ELVESO-2014", "cap_A": "40", "cap_B": "40",
          "watering_start": "01.06", "watering_end": "31.08",
          "winter_start": "01.10", "winter_end": "31.03", "methods": ["A", "B"]}


@pytest.fixture
def gardens(demo: None) -> None:
    today = today_in_tallinn()
    import_master_data(build_garden_street(today))
    add_garden_applications(today, CLERK)
    db.session.commit()


def in_english(client: FlaskClient, lang: str = "en") -> FlaskClient:
    with client.session_transaction() as session:
        session["lang"] = lang
    return client


def cells(page: str, testid: str) -> list[list[str]]:
    table = page.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", cell).strip().replace("\u00a0", " ")
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


@pytest.mark.usefixtures("gardens")
def test_the_council_member_sees_the_cost_of_a_cap_of_40(login: Login) -> None:
    council = in_english(login(COUNCIL_MEMBER), "et")  # the portal's first language
    form = council.get(URL)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert 'value="30"' in text and 'value="01.06"' in text  # the rule set's own values
    assert 'data-testid="what-if-totals"' not in text  # nothing computed yet

    response = council.get(URL, query_string=CAP_40)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Estonian first: a decimal comma (the labels are the translator's).
    assert [row[1:] for row in cells(page, "what-if-totals")[1:]] == [
        ["17", "17", "0"], ["17", "17", "+0"], ["463,000", "536,500", "73,500"],
        ["741,72", "859,46", "117,74"],
    ]
    groups = {row[0]: row[1:] for row in cells(page, "what-if-groups")[1:]}
    assert len(groups) == 8
    assert 'data-testid="what-if-chart"' in page and "<svg" in page and 'role="img"' in page
    # No customer can be told from the page: no name, site or address of the street.
    for private in ("Aednik", "Aia tn", "TK-300", "00567"):
        assert private not in page


@pytest.mark.usefixtures("gardens")
def test_the_figures_in_english(login: Login) -> None:
    council = in_english(login(COUNCIL_MEMBER))
    page = council.get(URL, query_string=CAP_40).get_data(as_text=True)
    assert cells(page, "what-if-totals")[1:] == [
        ["Applications", "17", "17", "0"],
        ["Eligible", "17", "17", "+0"],
        ["Volume refunded (m³)", "463.000", "536.500", "73.500"],
        ["Refunded (EUR)", REFUND_BEFORE, REFUND_AFTER, REFUND_DIFFERENCE],
    ]
    groups = {row[0]: row[1:] for row in cells(page, "what-if-groups")[1:]}
    assert groups["Gain up to 10 EUR"] == ["5", "28.03"]  # 1.60 + 3.20 + 5.61 + 8.01 + 9.61
    assert groups["Gain 10 to 50 EUR"] == ["6", "89.71"]  # 11.21 + 14.42 + 4 x 16.02
    assert groups["Lose up to 10 EUR"] == ["0", "0.00"]
    assert groups["Newly eligible"] == ["0", "0.00"]
    assert "Customers whose refund changes: 11" in re.sub(r"\s+", " ", page)


# Each case's refund is rounded to the cent. At 30: 19.22 + 28.84 + 35.24 + 40.05 +
# 43.25 + 46.46 under the cap and 11 x 48.06; at 40 the gains below.
REFUND_BEFORE, REFUND_AFTER = "741.72", "859.46"
REFUND_DIFFERENCE = "117.74"


@pytest.mark.usefixtures("gardens")
@pytest.mark.parametrize("who", [CLERK, ADMIN, COUNCIL_MEMBER])
def test_who_may_see_it(login: Login, who: str) -> None:
    assert login(who).get(URL).status_code == 200


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("who", [MARI, INSPECTOR])
def test_customers_and_inspectors_do_not_see_it(login: Login, who: str) -> None:
    client = login(who)
    assert client.get(URL).status_code == 404
    assert client.get(URL + ".pdf", query_string=CAP_40).status_code == 404
    assert "/council/" not in client.get("/my").get_data(as_text=True)


def test_the_anonymous_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(URL, query_string=CAP_40)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.usefixtures("demo")
def test_council_members_see_nothing_else(login: Login) -> None:
    council = login(COUNCIL_MEMBER)
    for url in ("/staff/", "/staff/rebates/", "/staff/acts/", "/staff/admin/staff-roles"):
        assert council.get(url).status_code == 404, url
    home = council.get("/my").get_data(as_text=True)
    assert URL in home  # the menu offers the report


@pytest.mark.usefixtures("gardens")
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"cap_A": "1001"}, "cap_A", "A cap is from 0 to 1000 m³."),
    ({"cap_B": "lots"}, "cap_B", "Enter cubic metres as a number"),
    ({"watering_start": "32.06"}, "watering_start", "This day is not in every year."),
    ({"watering_start": "02.06"}, "watering_start", "A period starts on the first day"),
    ({"watering_end": "1 June"}, "watering_end", "Enter a day and month as DD.MM"),
    ({"methods": []}, "methods", "Allow at least one method."),
    ({"rule_set": "NOPE"}, "rule_set", "Choose one of the rule sets."),
])
def test_bad_values_are_sent_back(login: Login, changes: dict[str, object], field: str,
                                  message: str) -> None:
    council = in_english(login(COUNCIL_MEMBER))
    response = council.get(URL, query_string={**CAP_40, **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'href="#{field}"' in page
    pdf = council.get(URL + ".pdf", query_string={**CAP_40, **changes})
    assert pdf.status_code == 422


@pytest.mark.usefixtures("gardens")
def test_htmx_gets_the_section_alone(login: Login) -> None:
    response = login(COUNCIL_MEMBER).get(URL, query_string=CAP_40,
                                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith("<section") or "<html" not in page
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.usefixtures("demo")
def test_no_applications_is_said(login: Login) -> None:
    council = in_english(login(COUNCIL_MEMBER))
    response = council.get(URL, query_string=CAP_40)
    assert response.status_code == 200
    assert "There are no approved garden-water rebate applications" in response.get_data(
        as_text=True)


@pytest.mark.usefixtures("gardens")
def test_the_pdf_for_the_meeting_papers(login: Login) -> None:
    council = in_english(login(COUNCIL_MEMBER))
    response = council.get(URL + ".pdf", query_string=CAP_40)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = one_line(pdftotext(response.data))
    assert "What-if report of the garden-water rebate rules" in text
    assert "Cap for method A (m³ a season) 30 40" in text
    assert f"Refunded (EUR) {REFUND_BEFORE} {REFUND_AFTER} {REFUND_DIFFERENCE}" in text
    assert "Gain up to 10 EUR 5 28.03" in text
    assert "Aednik" not in text


def test_the_demo_street_is_deterministic() -> None:
    day = dt.date(2026, 12, 3)
    assert build_garden_street(day) == build_garden_street(day)
    values = [Decimal(r["value"]) for r in build_garden_street(day)["readings"]]
    assert all(value > 0 for value in values)


def test_the_grouped_bar_chart() -> None:
    from webapp.charts import Series, grouped_bar_chart

    def label(value: Decimal) -> str:
        return f"{value:.2f}"

    svg = str(grouped_bar_chart(
        ["Method A", "<All>"], [Series("Now", (Decimal(10), Decimal(30))),
                                Series("As proposed", (Decimal(20), Decimal(-5)))],
        title="Refunds", description="Now and as proposed", value_label=label, unit="EUR"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="chart-title">Refunds</title>' in svg
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert "&lt;All&gt;" in svg and "<All>" not in svg  # escaped
    assert svg.count('class="chart-series chart-series-1"') == 2
    assert svg.count('class="chart-series chart-series-2"') == 2
    assert "<title>&lt;All&gt;, As proposed: -5.00 EUR</title>" in svg  # the figure as it is
    assert "style=" not in svg
    assert str(grouped_bar_chart([], [], title="t", description="d", value_label=label,
                                 unit="EUR")) == ""


@pytest.mark.usefixtures("gardens")
def test_other_windows_and_methods(login: Login) -> None:
    council = in_english(login(COUNCIL_MEMBER))
    # A longer watering period reads the readings again: the gardens' water is all in
    # June to August, so only the household's own use in May and September is added
    # (method A: 5 x 7 - 42 x 5/6 = 0 more; method B's sub-meter: nothing more).
    longer = council.get(URL, query_string={**CAP_40, "watering_start": "01.05",
                                            "watering_end": "30.09"})
    assert longer.status_code == 200
    totals = cells(longer.get_data(as_text=True), "what-if-totals")
    assert totals[3] == ["Volume refunded (m³)", "463.000", "536.500", "73.500"]
    # Without method A its nine households lose all (19.22 + 35.24 + 43.25 + 6 x 48.06 EUR); of
    # method B's eight, 32 and 35 m³ gain up to 10 EUR and 37, 41 and 52 more: groups
    # of 2 and 3, hidden, and together 5, so nothing else need be.
    only_b = council.get(URL, query_string={**CAP_40, "cap_A": "", "methods": ["B"]})
    groups = {row[0]: row[1:] for row in cells(only_b.get_data(as_text=True),
                                              "what-if-groups")[1:]}
    assert groups["Lose 10 to 50 EUR"] == ["9", "-386.07"]
    assert groups["Gain up to 10 EUR"] == groups["Gain 10 to 50 EUR"] == [
        "fewer than 5", "not shown"]
    assert groups["No longer eligible"] == ["9", "-386.07"]
    assert groups["Newly eligible"] == ["0", "0.00"]


@pytest.mark.usefixtures("demo")
def test_another_rule_set_fills_the_form_with_its_values(login: Login) -> None:
    page = in_english(login(COUNCIL_MEMBER)).get(URL, query_string={"rule_set": "TV-2016"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r'<input[^>]*id="cap_A"[^>]*value="20"', text)
    assert re.search(r'<input[^>]*id="cap_B"[^>]*value=""', text)  # method B: no cap
    assert 'value="01.04"' in text and 'value="30.09"' in text
    assert "Proposed values for TV-2016" in text
