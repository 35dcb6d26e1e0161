"""The API's documentation: Swagger UI (vendored from npm) over /api/openapi.json.

Swagger UI runs under the portal's own Content-Security-Policy: its bundle, its
stylesheet and the page's starter (static/js/swagger-init.js) are files on this
site, and the page has no inline script or style.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

bp = Blueprint("api_docs", __name__)

OPENAPI_DOCUMENT = "/api/openapi.json"


@bp.get("/api/openapi/index.html")
def index() -> str:
    return render_template("api/docs.html", openapi_document=OPENAPI_DOCUMENT)


@bp.get("/api/openapi")
def openapi() -> Response:
    # The slashes stay as they are (url_for would write %2F): this exact address.
    return redirect(f"{url_for('api_docs.index')}?url={OPENAPI_DOCUMENT}", code=302)
