"""The published texts of the rule sets: kept verbatim, with an anchor per numbered
point of the ELVESO order (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.domain.rule_sets import rule_sets
from webapp.domain.rule_source_text import (
    clause_anchor,
    load_source_text,
    parse_source_text,
    source_path,
)

SAMPLE = """**KORRALDUS**

20. märts 2014 nr 338

1. Kinnitada kord.

## KORD

### 1. Üldsätted

- 1.1 Esimene punkt.
  - 1.1.1 **Alampunkt.** Jätk.

lisalõik
#### **2. Rakendussätted**
- 2.1 Viimane.
"""


def test_numbered_points_get_anchors() -> None:
    blocks = {block.anchor: block for block in parse_source_text(SAMPLE) if block.anchor}
    assert set(blocks) == {"k1", "c1", "c1-1", "c1-1-1", "c2", "c2-1"}
    assert blocks["c1-1-1"].text == "1.1.1 Alampunkt. Jätk."
    assert blocks["c1-1-1"].depth == 2
    assert blocks["c2"].kind == "heading" and blocks["c2"].text == "2. Rakendussätted"
    assert blocks["k1"].kind == "point"


def test_nothing_is_lost() -> None:
    blocks = parse_source_text(SAMPLE)
    assert [block.line for block in blocks] == [line for line in SAMPLE.splitlines()
                                                if line.strip()]
    assert blocks[-3].kind == "paragraph" and blocks[-3].anchor is None


def test_every_rule_set_has_its_text_and_every_elveso_clause_its_point() -> None:
    for rule_set in rule_sets():
        text = load_source_text(rule_set.id)
        assert text is not None, rule_set.id
    anchors = {block.anchor for block in load_source_text("ELVESO-2014") or ()}
    from webapp.domain.rule_diff import parameters

    elveso = next(s for s in rule_sets() if s.id == "ELVESO-2014")
    for parameter in parameters(elveso):
        anchor = clause_anchor(parameter.clause)
        assert anchor is None or anchor in anchors, parameter


def test_texts_are_the_published_ones() -> None:
    # The seeds are not in the repository; where they are, the copies are byte for byte.
    seeds = Path("/work/shared/seeds")
    copies = {"ELVESO-2014": "003_", "TV-2016": "002_", "TV-2020": "001_"}
    for rule_set_id, prefix in copies.items():
        path = source_path(rule_set_id)
        assert path is not None
        for seed in seeds.glob(f"{prefix}*.txt"):
            assert seed.read_bytes() == path.read_bytes()


@pytest.mark.parametrize(("clause", "anchor"), [
    ("ELVESO 2.2", "c2-2"),
    ("ELVESO 2.1.1 (3.1.2)", "c2-1-1"),
    ("ELVESO 3.6.6 (2.1.7, 3.2)", "c3-6-6"),
    ("ELVESO-2014", None),
    ("TV-2016", None),
    ("", None),
])
def test_clause_anchor(clause: str, anchor: str | None) -> None:
    assert clause_anchor(clause) == anchor


@pytest.mark.parametrize("rule_set_id", ["../x", "NOPE", "", "tv-2016"])
def test_no_source_for_other_names(rule_set_id: str) -> None:
    assert load_source_text(rule_set_id) is None
