"""Error pages: a clear page in the person's language for every HTTP error."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have the rights to do this.")),
    404: (_l("Page not found"), _l("There is no such page, or you have no access to it.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("Our error. Nothing was saved; please try again later.")),
    503: (_l("Service unavailable"), _l("The service is temporarily unavailable.")),
}
CSRF_MESSAGE = _l(
    "The form has expired or was not sent from this site. Please reload the page and try again."
)


def render_error(code: int, message: object | None = None) -> tuple[str, int]:
    title, default = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default), code


# Under /api every error is JSON, never an HTML page (ITB 1.2.2 dialect).
API_MESSAGES = {
    400: "Bad request.",
    401: "Missing X-API-Key header.",
    403: "Not allowed.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request is too large.",
    415: "Unsupported media type: send JSON.",
    429: "Too many requests.",
    500: "Internal error: nothing was saved.",
    503: "The service is unavailable just now: nothing was saved.",
}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def api_error(code: int) -> tuple[Response, int]:
    response = jsonify({"status": "error", "message": API_MESSAGES.get(code, "Error.")})
    return response, code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str | Response, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        if is_api_request():
            return api_error(error.code)
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str | Response, int]:
        db.session.rollback()
        if is_api_request():
            return api_error(500)
        return render_error(500)
