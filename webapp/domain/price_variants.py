"""Which variant a price may have: the sewer price by the wastewater's pollution group
(KEE §4(3), §22(1)), the monthly fixed fee by the main meter's nominal size; "" is
the price of every group or size without a price of its own. The other kinds (water,
closing and reopening fees) have no variant.

Pure: plain strings in, no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Literal

POLLUTION_GROUPS = ("I", "II", "III")  # KEE §22(1); household wastewater is group I
# A meter's nominal size: DN15, DN20, DN25, DN32, … DN150.
METER_SIZE = re.compile(r"DN[0-9]{2,3}")

VariantOf = Literal["pollution_group", "meter_size"]
_VARIANT_OF: dict[str, VariantOf] = {"sewer": "pollution_group", "fixed_fee": "meter_size"}


def variant_of(kind: str) -> VariantOf | None:
    """What a price of ``kind`` (a ``PriceKind`` value) varies by, or None."""
    return _VARIANT_OF.get(kind)


def clean_meter_size(text: str) -> str:
    """A meter size as typed ("dn 20", "DN20") in its stored form ("DN20"), or raise
    ``ValueError``."""
    size = re.sub(r"\s", "", text).upper()
    if METER_SIZE.fullmatch(size) is None:
        raise ValueError(f"not a meter size: {text!r}")
    return size


def variant_fits(kind: str, variant: str) -> bool:
    """Whether a price of ``kind`` may have ``variant``; "" always may."""
    if variant == "":
        return True
    match variant_of(kind):
        case "pollution_group":
            return variant in POLLUTION_GROUPS
        case "meter_size":
            return METER_SIZE.fullmatch(variant) is not None
        case _:
            return False
