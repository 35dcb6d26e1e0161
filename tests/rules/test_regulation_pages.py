"""The regulation's public pages (issue 10): /rules/kee, its search and its PDF."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient

from tests.acts.helpers import one_line, pdftotext
from webapp.blueprints.rules import regulation as regulation_routes
from webapp.domain.regulations import load_regulation


def test_the_page_is_public_with_contents_and_anchors(client: FlaskClient) -> None:
    response = client.get("/rules/kee")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="#p24"' in html and 'id="p24"' in html
    assert 'id="p24-u1"' in html and 'id="p34-1-3"' in html and 'id="p25-1"' in html
    anchors = load_regulation("KEE-2012").anchors()
    assert html.count('class="self-link"') == len(anchors)
    assert all(f'id="{anchor}"' in html for anchor in anchors)
    assert "50 000 krooni" in html  # KEE §27(3) as adopted
    assert "Kuressaare Linnavolikogu" in html and "RT IV, 01.11.2012, 66" in html
    assert "28.09.2006" in html and "01.08.2012" in html
    assert "<th scope=\"col\">Saasteaine nimetus</th>" in html and "<td>Hõljum</td>" in html
    assert "14<sup>1</sup>" in html  # the superscript of KEE §4(2), not its markup
    assert 'src="/static/js/regulation.js"' in html and "data-print hidden" in html
    assert "data-print-hint" in html  # without JavaScript: how to print


def test_a_given_redaction_and_an_unknown_one(client: FlaskClient) -> None:
    assert client.get("/rules/kee?redaction=KEE-2012").status_code == 200
    assert client.get("/rules/kee?redaction=KEE-1999").status_code == 404
    assert client.get("/rules/kee?redaction=../etc").status_code == 404


def test_search_finds_plomm_and_links_the_clauses(client: FlaskClient) -> None:
    response = client.get("/rules/kee/search?q=plomm")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert '<mark>plomm</mark>' in html
    hits = re.findall(r'href="/rules/kee#(p[\w-]+)" data-testid="search-hit"', html)
    assert {"p34", "p34-1", "p26-u1-2", "p37-8"} <= set(hits)
    assert 'value="plomm"' in html  # the form keeps the query


def test_htmx_gets_the_results_alone(client: FlaskClient) -> None:
    response = client.get("/rules/kee/search?q=Plommimine", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="regulation-search-results"' in html and "<mark>plommimine</mark>" in html


def test_search_escapes_and_explains(client: FlaskClient) -> None:
    empty = client.get("/rules/kee/search?q=+")
    assert empty.status_code == 200 and 'id="search-error"' in empty.get_data(as_text=True)
    none = client.get("/rules/kee/search?q=%3Cscript%3Exyz")
    html = none.get_data(as_text=True)
    assert none.status_code == 200 and 'id="no-hits"' in html and "<script>xyz" not in html
    long = client.get("/rules/kee/search?q=" + "a" * 101)
    assert long.status_code == 422 and 'id="search-error"' in long.get_data(as_text=True)
    markup = client.get("/rules/kee/search?q=%3C5,5")  # a table cell with "<"
    assert "<mark>&lt;5,5</mark>" in markup.get_data(as_text=True)


def test_the_pdf(client: FlaskClient) -> None:
    response = client.get("/rules/kee.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="KEE-2012.pdf"'
    text = one_line(pdftotext(response.data))
    assert "§ 24. Omavolilise ühenduse mõiste" in text
    assert "50 000 krooni" in text and "Hõljum" in text and "ühisveevärgi" in text


def test_the_clauses_the_portal_applies_say_so(client: FlaskClient) -> None:
    html = client.get("/rules/kee").get_data(as_text=True)
    late_interest = html[html.index('id="p41"'):html.index('id="p42"')]
    assert 'class="applied"' in late_interest and "0.15" in late_interest  # KEE §41(3)
    definitions = html[html.index('id="p2"'):html.index('id="p3"')]
    assert 'class="applied"' not in definitions  # nothing applies §2: no list at all


def test_each_section_lists_where_the_portal_applies_it(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    use = SimpleNamespace(parameter="late_interest.daily_rate", label="Late-payment interest a day",
                          value="0.15", unit="%", clause="KEE §41(3)",
                          rule_file="rules/deadlines/KEE-2012.toml",
                          used_in=("webapp.domain.billing.late_interest",))
    monkeypatch.setattr(regulation_routes, "applications", lambda short_name: {"p41-3": (use,)})
    html = client.get("/rules/kee").get_data(as_text=True)
    assert html.count('class="applied"') == 1
    section = html[html.index('id="p41"'):html.index('id="p42"')]
    assert "Late-payment interest a day" in section and "0.15 %" in section
    assert "KEE §41(3)" in section and "rules/deadlines/KEE-2012.toml" in section
    assert "<code>webapp.domain.billing.late_interest</code>" in section
