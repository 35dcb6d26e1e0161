"""The API's request and response shapes: they validate the requests and, through
spectree, make the OpenAPI document (ITB 1.2.2). Names and shapes follow
Tallinna Vesi's API and must not be renamed.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StringConstraints,
    field_validator,
)

from webapp.services.api import MAX_READINGS

UTC_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
ISO_INPUT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}:?\d{2})$"
)
ORDER_PATTERN = (r"^[Rr][Ee][Aa][Dd][Ii][Nn][Gg][Dd][Aa][Tt][Ee] +"
                 r"([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])$")

ORDERS = frozenset({"readingdate asc", "readingdate desc"})

# No control characters (PostgreSQL refuses NUL in text; no identifier has them).
PRINTABLE = r"^[^\x00-\x1F\x7F]+$"
MeterNumber = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=40,
                                               pattern=PRINTABLE)]
Code = Annotated[str | None, Field(max_length=40, pattern=PRINTABLE)]
UtcText = Annotated[str, Field(pattern=UTC_PATTERN, examples=["2026-04-01T08:30:00.000Z"])]


class ErrorOut(BaseModel):
    status: Literal["error"]
    message: str


# --------------------------------------------------------------------------- readings


class ReadingOut(BaseModel):
    address: str
    meterNr: str
    lastReading: float | None
    meterCodeName: str
    lastReadingDate: UtcText | None
    meterType: Literal["Mechanical", "Smart"]


class ReadingsOut(BaseModel):
    results: list[ReadingOut]


class NewReading(BaseModel):
    meterNumber: MeterNumber
    # A JSON number, never a string; the portal's rules judge the value itself.
    newReading: Annotated[float, Field(strict=True, allow_inf_nan=False)]
    submitWithWarnings: StrictBool = False


class ReadingsIn(BaseModel):
    readings: Annotated[list[NewReading], Field(min_length=1, max_length=MAX_READINGS)]


class ResultOut(BaseModel):
    meterNumber: str
    status: Literal["Success", "Failed"]
    message: str


class ResultsOut(BaseModel):
    results: list[ResultOut]


class IdempotencyHeaders(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    idempotency_key: Annotated[
        str | None,
        Field(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x20-\x7E]+$",
              description="Sending the same key with the same body again returns the "
                          "first response and saves nothing more."),
    ] = None


# --------------------------------------------------------------------------- smart meters


class SupplyPointOut(BaseModel):
    meterNr: str
    supplyPointId: str
    objectId: str
    address: str


class SupplyPointsOut(RootModel[list[SupplyPointOut]]):
    pass


def _iso_moment(value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str) or not ISO_INPUT.match(value.strip()):
        raise ValueError("must be an ISO 8601 timestamp with Z or an offset, "
                         "e.g. 2026-04-01T08:30:00Z")
    return value.strip()


class SmartReadingsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    meterNr: MeterNumber
    start: AwareDatetime | None = Field(None, alias="from")
    to: AwareDatetime | None = None
    pageNo: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    pageSize: Annotated[int, Field(ge=1, le=500)] = 50
    orderBy: Annotated[str, Field(pattern=ORDER_PATTERN)] = "ReadingDate ASC"
    contractNumber: Code = None
    consumptionPointNumber: Code = None

    _moments = field_validator("start", "to", mode="before")(_iso_moment)

    @field_validator("orderBy", mode="before")
    @classmethod
    def _order(cls, value: object) -> object:
        if isinstance(value, str) and " ".join(value.split()).casefold() in ORDERS:
            return value
        raise ValueError("must be ReadingDate ASC or ReadingDate DESC")

    @property
    def descending(self) -> bool:
        return self.orderBy.split()[-1].casefold() == "desc"


class SmartReadingOut(BaseModel):
    reading: float
    readingEnd: float
    readingDate: UtcText


class SmartReadingsOut(BaseModel):
    readings: list[SmartReadingOut]
    supplyPointId: str
    meterNr: str
    errors: list[str]
