"""The published text of a rule set, split into blocks with an anchor per numbered point.

The texts are kept verbatim in ``rules/regulations/sources/<rule set id>.txt``.
The ELVESO order numbers its points (``2.2``, ``3.6.1``): each gets the anchor
``c2-2``, so that a parameter citing "ELVESO 2.2" links to its point. The order's
own points before the annex ("1. Kinnitada ...") get ``k1`` ... (korraldus). The
Tallinna Vesi texts have no numbers: their clauses link to the text as a whole.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from webapp.domain.rule_sets import RULES_DIR

SOURCES_DIR = RULES_DIR / "regulations" / "sources"

_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_POINT = re.compile(r"(\s*)-\s+(\d+(?:\.\d+)+)\s+(.*)")
# "1. Kinnitada ...", not a date such as "20. märts 2014": a point starts a sentence.
_ORDER_POINT = re.compile(r"(\d+)\.\s+([A-ZÄÖÜÕŠŽ].*)")
_NUMBERED_HEADING = re.compile(r"(\d+)\.\s")
_CLAUSE = re.compile(r"ELVESO\s+(\d+(?:\.\d+)*)")
_ID = re.compile(r"[A-Z][A-Z0-9-]*")

Kind = Literal["heading", "point", "paragraph"]


@dataclass(frozen=True)
class TextBlock:
    """One non-empty line of the source: ``line`` verbatim, ``text`` as shown (the
    markdown marks ``#``, ``-`` and ``**`` taken away, the point's number kept)."""

    kind: Kind
    line: str
    text: str
    number: str | None = None
    anchor: str | None = None
    depth: int = 0


def _plain(text: str) -> str:
    return text.replace("**", "").strip()


def _anchor(number: str, prefix: str = "c") -> str:
    return prefix + number.replace(".", "-")


def _block(line: str, in_annex: bool) -> TextBlock:
    heading = _HEADING.fullmatch(line)
    if heading:
        text = _plain(heading[2])
        numbered = _NUMBERED_HEADING.match(text)
        number = numbered[1] if numbered and in_annex else None
        return TextBlock("heading", line, text, number,
                         _anchor(number) if number else None, len(heading[1]))
    point = _POINT.fullmatch(line)
    if point:
        number = point[2]
        return TextBlock("point", line, f"{number} {_plain(point[3])}", number,
                         _anchor(number), number.count("."))
    order_point = _ORDER_POINT.fullmatch(line)
    if order_point and not in_annex:
        return TextBlock("point", line, _plain(line), order_point[1],
                         _anchor(order_point[1], "k"))
    return TextBlock("paragraph", line, _plain(line.lstrip("-•* ").strip() or line))


def parse_source_text(text: str) -> tuple[TextBlock, ...]:
    """The blocks of a source text, in order; blank lines are dropped. The annex of an
    order starts at its first ``##`` heading."""
    blocks = []
    in_annex = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("## "):
            in_annex = True
        blocks.append(_block(line, in_annex))
    return tuple(blocks)


def clause_anchor(clause: str) -> str | None:
    """The anchor of the point a clause cites ("ELVESO 2.1.1 (3.1.2)" -> ``c2-1-1``);
    ``None`` where the clause names no numbered point (the Tallinna Vesi texts)."""
    match = _CLAUSE.match(clause.strip())
    return _anchor(match[1]) if match else None


def source_path(rule_set_id: str, directory: Path | None = None) -> Path | None:
    """The verbatim source of a rule set, or ``None`` if there is none."""
    if not _ID.fullmatch(rule_set_id):
        return None
    path = (directory or SOURCES_DIR) / f"{rule_set_id}.txt"
    return path if path.is_file() else None


def load_source_text(rule_set_id: str, directory: Path | None = None
                     ) -> tuple[TextBlock, ...] | None:
    path = source_path(rule_set_id, directory)
    if path is None:
        return None
    return parse_source_text(path.read_text(encoding="utf-8"))
