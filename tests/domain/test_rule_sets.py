"""The rule-set files in rules/ (DOMAIN.md section 2): they load, every parameter cites
its clause, and a malformed file is refused naming the file and the field."""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from webapp.domain.rule_sets import (
    RULES_DIR,
    Method,
    MonthDay,
    RuleSetError,
    load_rule_set,
    rule_set_ids,
    rule_sets,
)


def test_all_three_load() -> None:
    assert rule_set_ids() == ["ELVESO-2014", "TV-2016", "TV-2020"]
    assert [rule_set.id for rule_set in rule_sets()] == rule_set_ids()


def test_elveso_parameters() -> None:
    elveso = load_rule_set("ELVESO-2014")
    assert (elveso.effective.start, elveso.effective.end) == (dt.date(2014, 3, 20), None)
    assert elveso.watering_window.boundaries(2025) == (dt.date(2025, 5, 31), dt.date(2025, 8, 31))
    assert elveso.watering_window.months == 3
    assert elveso.winter_window is not None
    assert elveso.winter_window.boundaries(2025) == (dt.date(2024, 9, 30), dt.date(2025, 3, 31))
    assert elveso.winter_window.months == 6
    assert elveso.methods.allowed == (Method.A, Method.B)
    assert {m: (c.m3, c.clause) for m, c in elveso.caps.items()} == {
        Method.A: (Decimal(30), "ELVESO 2.2"), Method.B: (Decimal(30), "ELVESO 2.2")}
    assert elveso.verification is not None
    assert elveso.verification.interval_years == 2
    deadlines = elveso.reading_deadlines
    assert deadlines is not None
    assert (deadlines.start_from, deadlines.start_to, deadlines.end_from, deadlines.end_to) == (
        MonthDay(5, 31), MonthDay(6, 8), MonthDay(8, 31), MonthDay(9, 7))
    assert elveso.reading_cycle is None


def test_tallinna_vesi_parameters() -> None:
    tv2016, tv2020 = load_rule_set("TV-2016"), load_rule_set("TV-2020")
    assert (tv2016.effective.start, tv2016.effective.end) == (
        dt.date(2016, 3, 1), dt.date(2019, 12, 31))
    assert (tv2020.effective.start, tv2020.effective.end) == (dt.date(2020, 1, 1), None)
    assert tv2016.watering_window.boundaries(2018) == (dt.date(2018, 3, 31), dt.date(2018, 9, 30))
    assert tv2016.methods.allowed == (Method.A, Method.B)
    assert tv2020.methods.allowed == (Method.B,)
    assert {m: c.m3 for m, c in tv2016.caps.items()} == {Method.A: Decimal(20)}
    assert tv2020.caps == {}
    assert tv2020.verification is not None
    assert tv2020.verification.interval_years == 5
    for rule_set in (tv2016, tv2020):
        assert rule_set.reading_cycle is not None
        assert rule_set.reading_cycle.max_months == 3
        assert rule_set.reading_deadlines is None
        assert {"joint_application", "bypass", "other_use"}.isdisjoint(rule_set.checks)


def _tables(data: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{path}{key}"
            if "clause" in value or not any(isinstance(v, dict) for v in value.values()):
                found.append((name, value))
            found.extend(_tables(value, f"{name}."))
    return found


@pytest.mark.parametrize("rule_set_id", ["ELVESO-2014", "TV-2016", "TV-2020"])
def test_every_parameter_has_a_clause(rule_set_id: str) -> None:
    data = tomllib.loads((RULES_DIR / f"{rule_set_id}.toml").read_text(encoding="utf-8"))
    tables = _tables(data)
    assert len(tables) > 10
    prefix = "ELVESO" if rule_set_id.startswith("ELVESO") else rule_set_id
    for name, table in tables:
        assert str(table.get("clause", "")).startswith(prefix), name


def _copy(tmp_path: Path, rule_set_id: str = "ELVESO-2014") -> Path:
    shutil.copy(RULES_DIR / f"{rule_set_id}.toml", tmp_path)
    return tmp_path / f"{rule_set_id}.toml"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('[caps.A]\nm3 = "30"\nclause = "ELVESO 2.2"', '[caps.A]\nm3 = "30"', "caps.A.clause"),
        ('[caps.A]\nm3 = "30"', "[caps.A]\nm3 = 30.5", "caps.A.m3"),
        ('start = "06-01"', 'start = "13-01"', "watering_window.start"),
        ('start = "06-01"', 'start = "06-02"', "watering_window.start"),
        ("start = 2014-03-20", 'start = "2014-03-20"', "effective.start"),
        ('allowed = ["A", "B"]', 'allowed = ["A", "C"]', "methods.allowed[1]"),
        ("[preconditions.contract_valid]", "[preconditions.contract_vaild]",
         "preconditions.contract_vaild"),
        ('clause = "ELVESO 2.1.2"', 'clause = ""', "preconditions.contract_valid.clause"),
        ("interval_years = 2", "interval_years = 2\ncolour = 1", "verification.colour"),
        ('[refusal_grounds.history_since_october]\nclause = "ELVESO 3.6.7 (2.1.4)"\n'
         'methods = ["A"]', "", "history_since_october"),
        ("[reading_deadlines]", "[reading_deadlinez]", "reading_deadlinez"),
        ('id = "ELVESO-2014"', 'id = "ELVESO-2015"', "id"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_field(
        tmp_path: Path, old: str, new: str, field: str) -> None:
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleSetError) as error:
        load_rule_set("ELVESO-2014", tmp_path)
    message = str(error.value)
    assert str(path) in message
    assert f"{field}:" in message or f"{field} " in message, message


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    (tmp_path / "X-1.toml").write_text("id = ", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"X-1\.toml: not valid TOML"):
        load_rule_set("X-1", tmp_path)


def test_an_unknown_rule_set(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match=r"unknown rule set 'TV-2030' \(known: ELVESO-2014"):
        load_rule_set("TV-2030")


def test_an_unchanged_copy_loads(tmp_path: Path) -> None:
    _copy(tmp_path, "TV-2016")
    assert load_rule_set("TV-2016", tmp_path) == load_rule_set("TV-2016")
