"""The API documentation page (Swagger UI, vendored) through the test client: the
portal's CSP, same-origin files only, the short address's redirect and every
vendored file served. The browser side is in tests/browser/test_api_docs_browser.py."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from webapp.security import CONTENT_SECURITY_POLICY

DOCS = "/api/openapi/index.html?url=/api/openapi.json"
STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
SWAGGER_UI = STATIC / "vendor" / "swagger-ui"
VENDORED = sorted(
    path.relative_to(STATIC).as_posix() for path in (STATIC / "vendor").rglob("*") if path.is_file()
)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_texts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.script_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_texts[-1] += data


def elements_of(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_the_page_answers_under_the_portals_csp(client: FlaskClient) -> None:
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<title>API documentation – " in html
    assert 'id="swagger-ui"' in html


def test_the_page_loads_only_its_own_files(client: FlaskClient) -> None:
    page = elements_of(client.get(DOCS).get_data(as_text=True))
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert [attrs["src"] for attrs in scripts] == [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/js/swagger-init.js",
    ]
    assert all("defer" in attrs for attrs in scripts)
    assert all(text.strip() == "" for text in page.script_texts)  # no inline script
    stylesheets = [attrs["href"] for tag, attrs in page.tags
                   if tag == "link" and attrs.get("rel") == "stylesheet"]
    assert stylesheets == ["/static/vendor/swagger-ui/swagger-ui.css"]
    assert not [tag for tag, _ in page.tags if tag == "style"]  # no inline style
    assert not [tag for tag, attrs in page.tags if "style" in attrs]
    assert not [tag for tag, attrs in page.tags if any(name.startswith("on") for name in attrs)]


def test_the_short_address_redirects_to_the_page(client: FlaskClient) -> None:
    response = client.get("/api/openapi")
    assert response.status_code == 302
    assert response.headers["Location"] == DOCS


@pytest.mark.parametrize("path", [*VENDORED, "js/swagger-init.js"])
def test_every_vendored_file_is_served(client: FlaskClient, path: str) -> None:
    response = client.get(f"/static/{path}")
    try:
        assert response.status_code == 200
    finally:
        response.close()


def test_swagger_ui_is_vendored_without_source_maps() -> None:
    names = {path.name for path in SWAGGER_UI.iterdir()}
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"} <= names
    assert not [name for name in names if name.endswith(".map")]
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        # A map the browser would ask for and not find.
        assert "sourceMappingURL" not in (SWAGGER_UI / name).read_text(encoding="utf-8")


def test_the_starter_refuses_other_origins_and_skips_the_online_validator() -> None:
    script = (STATIC / "js" / "swagger-init.js").read_text(encoding="utf-8")
    assert 'validatorUrl: null' in script
    assert 'queryConfigEnabled: false' in script
    assert 'layout: "BaseLayout"' in script
    assert '"/api/openapi.json"' in script
