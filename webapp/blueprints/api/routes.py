"""The business API (ITB 1.2.2), in the dialect of Tallinna Vesi's API so that its
clients work here with only the base URL changed.

Every answer is ``application/json``; errors are ``{"status": "error", "message"}``.
A request is checked in this order: rate limit (429), key (401/403), body (400,
413), schema (400, naming the field), then the work. Messages follow the
request's Accept-Language (et, en or ru), else English: the API's readers are
developers, and the documented messages are English.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from pydantic import ValidationError
from spectree import Response as SpecResponse
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from webapp.blueprints.api import schemas
from webapp.extensions import csrf, db, limiter
from webapp.models import ApiIdempotentRequest
from webapp.navigation import current_utility
from webapp.services import api as service
from webapp.services.api_keys import KeyRefused, KeyUse, authenticate

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # no cookies, no forms: the key in the header is the credential


def error_response(status: int, message: str) -> Response:
    response = jsonify({"status": "error", "message": message})
    response.status_code = status
    return response


def fail(status: int, message: str) -> NoReturn:
    abort(error_response(status, message))


def _field(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_message(error: ValidationError) -> str:
    problems = [f"{_field(tuple(item['loc']))}: {item['msg'].removeprefix('Value error, ')}"
                for item in error.errors()[:5]]
    more = error.error_count() - len(problems)
    return "Invalid request: " + "; ".join(problems) + (f" (and {more} more)" if more else "")


def _on_validation(req: Any, resp: Any, error: Exception | None, instance: Any,
                   adapter: Any = None) -> None:
    """spectree's hook: a request that fails its schema is 400, naming the field."""
    if isinstance(error, ValidationError):
        fail(400, validation_message(error))


spec = SpecTree(
    "flask",
    title="Veeportaal API",
    version="1",
    description=(
        "Meter readings for business customers' own systems (ITB 1.2.2), compatible "
        "with Tallinna Vesi's API. Authenticate with the header X-API-Key: a key made "
        "on the portal's API page. Timestamps are UTC, e.g. 2026-04-01T08:30:00.000Z."
    ),
    mode="strict",
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    before=_on_validation,
    validation_error_status=400,
    validation_error_model=schemas.ErrorOut,
    security_schemes=[SecurityScheme(name="ApiKey", data=SecuritySchemeData(
        type="apiKey", name="X-API-Key", field_in="header",
        description="A key made on the portal's API page (mass view of readings)."))],
    security={"ApiKey": []},
)

# Every operation may answer these; 503: the database failed and nothing was saved.
ERRORS = {f"HTTP_{code}": schemas.ErrorOut for code in (400, 401, 403, 429, 503)}


def _api_rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_api_rate_limit, error_message="Too many requests.")(bp)


PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})


@bp.before_request
def check_key_and_body() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    try:
        g.key_use = authenticate(request.headers.get("X-API-Key"), request.remote_addr)
    except KeyRefused as refused:
        db.session.rollback()
        fail(refused.status, refused.message)
    if request.method == "POST":
        try:
            body = request.get_json(silent=True) if request.is_json else None
        except RecursionError:  # "[[[[…": nested beyond what any reading needs
            fail(400, "The JSON body is nested too deeply.")
        if not isinstance(body, dict):
            fail(400, "The body must be a JSON object, sent as Content-Type: application/json.")
        readings = body.get("readings")
        if isinstance(readings, list) and len(readings) > service.MAX_READINGS:
            fail(413, f"At most {service.MAX_READINGS} readings a request; "
                      f"this one has {len(readings)}.")


def key_use() -> KeyUse:
    return g.key_use  # type: ignore[no-any-return]


def _commit() -> None:
    """Commit the request's writes (the key's "last used" too); 503 if the database fails."""
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("API request could not be committed")
        fail(503, "The database is not available just now: nothing was saved. Try again.")


@bp.get("/Readings")
@spec.validate(resp=SpecResponse(HTTP_200=schemas.ReadingsOut, **ERRORS), tags=["Readings"],
               operation_id="getReadings")
def readings() -> tuple[dict[str, Any], int]:
    """The latest reading of every active meter the key may see."""
    results = service.latest(key_use())
    _commit()
    return {"results": results}, 200


@bp.post("/Readings")
@spec.validate(json=schemas.ReadingsIn, headers=schemas.IdempotencyHeaders,
               resp=SpecResponse(HTTP_200=schemas.ResultsOut, HTTP_413=schemas.ErrorOut,
                                 HTTP_422=schemas.ErrorOut, **ERRORS),
               tags=["Readings"], operation_id="postReadings")
def submit(json: schemas.ReadingsIn, headers: schemas.IdempotencyHeaders
           ) -> tuple[dict[str, Any], int] | Response:
    """Send readings: one result per reading, in order.

    Every reading goes through the portal's own checks. A reading with an error is
    Failed with the reason; one with only a warning is Failed with the warning
    unless submitWithWarnings is true. The valid readings of a request are saved
    together in one transaction. At most 1,000 readings a request (413 beyond).
    With an Idempotency-Key header, sending the same body again returns the first
    response and saves nothing more; the same key with another body is 422.
    """
    use = key_use()
    body_hash = _body_digest()
    record = None
    if headers.idempotency_key is not None:
        replay = _replay(use, headers.idempotency_key, body_hash)
        if replay is not None:
            return replay
        record = ApiIdempotentRequest(api_key_id=use.key.id,
                                      idempotency_key=headers.idempotency_key,
                                      request_hash=body_hash, status_code=0, response_body="")
        db.session.add(record)
        try:
            db.session.flush()  # another request with this key waits here, then fails
        except IntegrityError:
            db.session.rollback()
            replay = _replay(use, headers.idempotency_key, body_hash)
            if replay is not None:
                return replay
            fail(503, "Another request with this Idempotency-Key is in progress; try again.")
    sent = [service.Sent(item.meterNumber, _decimal(item.newReading), item.submitWithWarnings)
            for item in json.readings]
    payload = {"results": service.submit(use, sent, current_utility())}
    if record is not None:
        record.status_code = 200
        record.response_body = _dumps(payload)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        fail(503, "The readings could not be saved just now: nothing was saved. Try again.")
    _commit()
    return payload, 200


def _decimal(value: float | int) -> Decimal:
    # repr keeps what the client typed (1234.567, not its binary neighbour)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _body_digest() -> str:
    canonical = json.dumps(request.get_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _replay(use: KeyUse, idempotency_key: str, body_hash: str) -> Response | None:
    earlier = db.session.scalar(select(ApiIdempotentRequest).where(
        ApiIdempotentRequest.api_key_id == use.key.id,
        ApiIdempotentRequest.idempotency_key == idempotency_key))
    if earlier is None:
        return None
    if earlier.request_hash != body_hash:
        fail(422, "This Idempotency-Key was used with a different body.")
    _commit()
    response = current_app.response_class(earlier.response_body, status=earlier.status_code,
                                          mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/SmartMeter/GetSupplyPointsWithSmartMeter")
@spec.validate(resp=SpecResponse(HTTP_200=schemas.SupplyPointsOut, **ERRORS),
               tags=["SmartMeter"], operation_id="getSupplyPointsWithSmartMeter")
def supply_points() -> tuple[list[dict[str, str]], int]:
    """The smart meters the key may see, with their supply point and property."""
    points = service.supply_points(key_use())
    _commit()
    return points, 200


@bp.get("/SmartMeter/GetSmartMeterReadings")
@spec.validate(query=schemas.SmartReadingsQuery,
               resp=SpecResponse(HTTP_200=schemas.SmartReadingsOut, HTTP_404=schemas.ErrorOut,
                                 **ERRORS),
               tags=["SmartMeter"], operation_id="getSmartMeterReadings")
def smart_readings(query: schemas.SmartReadingsQuery) -> tuple[dict[str, Any], int]:
    """One page of a smart meter's intervals.

    Each item is one interval: readingDate is its start, reading the cumulative
    value at its start and readingEnd at its end. from and to bound the start
    (from ≤ readingDate < to). orderBy is ReadingDate ASC (the default) or
    ReadingDate DESC. A page past the end has no readings.
    """
    use = key_use()
    try:
        page = service.smart_readings(use, service.SmartQuery(
            meter_number=query.meterNr, start=query.start, end=query.to, page=query.pageNo,
            size=query.pageSize, descending=query.descending,
            contract_number=query.contractNumber,
            consumption_point=query.consumptionPointNumber))
    except service.NotVisible:
        db.session.rollback()
        fail(404, f"No smart meter {query.meterNr} among this key's meters.")
    _commit()
    return page, 200


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document, generated from the schemas above (public)."""
    return jsonify(spec.spec)


limiter.exempt(openapi_document)
