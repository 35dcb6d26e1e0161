"""``flask rebates evaluate CASE.json`` (issue 7): every example case in
tests/cases/rebates/ gives its expected decision, and bad input exits non-zero
naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).resolve().parent.parent / "cases" / "rebates"
CASE_FILES = sorted(path for path in CASES.glob("*.json")
                    if not path.name.endswith(".expected.json"))

# The figures worked by hand in tests/domain/test_rebates.py, for each case file:
# (eligible, volume_m3, refund_eur, failed checks).
BY_HAND = {
    "elveso-2014-a-full": (True, "15.000", "22.86", set()),
    "elveso-2014-a-interpolated": (True, "19.950", "30.40", set()),
    "elveso-2014-a-nothing-to-refund": (True, "0.000", "0.00", set()),
    "elveso-2014-a-raised-cap": (True, "40.000", "60.96", set()),
    "elveso-2014-b": (True, "25.250", "38.48", set()),
    "elveso-2014-b-shorter": (True, "20.000", "30.48", set()),
    "elveso-2014-b-refused": (False, "0.000", "0.00", {
        "contract_valid", "sub_meter_verified", "overdue_debt", "sub_meter_sealed",
        "other_use", "required_readings"}),
    "tv-2016-a-full": (True, "15.000", "15.89", set()),
    "tv-2016-a-shorter": (True, "9.836", "10.42", set()),
    "tv-2016-b-no-cap": (True, "27.500", "29.12", set()),
    "tv-2016-season-outside": (False, "0.000", "0.00", {"effective_dates"}),
    "tv-2020-a-refused": (False, "0.000", "0.00", {"method_allowed"}),
    "tv-2020-b-interpolated": (True, "32.500", "39.00", set()),
    "tv-2020-b-refused": (False, "0.000", "0.00", {
        "meter_accepted", "reading_cycle", "history_since_october"}),
}


def test_every_case_file_has_its_figures() -> None:
    assert {path.stem for path in CASE_FILES} == set(BY_HAND)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: path.stem)
def test_evaluate_answers_every_example(runner: Any, path: Path) -> None:
    result = runner.invoke(args=["rebates", "evaluate", str(path)])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert decision == expected
    eligible, volume, refund, failed = BY_HAND[path.stem]
    assert (decision["eligible"], decision["volume_m3"], decision["refund_eur"]) == (
        eligible, volume, refund)
    assert {check["id"] for check in decision["checks"] if not check["passed"]} == failed
    assert list(decision) == ["rule_set", "season", "method", "eligible", "volume_m3",
                              "refund_eur", "checks", "computation"]
    for check in decision["checks"]:
        assert list(check) == ["id", "clause", "passed", "detail"]
        assert check["clause"]


def _case(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / "elveso-2014-b.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _run(runner: Any, tmp_path: Path, data: Any) -> Any:
    path = tmp_path / "case.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["rebates", "evaluate", str(path)])


def _with(path: list[str | int], value: Any, delete: bool = False) -> dict[str, Any]:
    data = _case()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_case(rule_set="TV-2030"), "rule_set: unknown rule set 'TV-2030'"),
        (_with(["main_meter", 1, "date"], "2025-02-30"), "main_meter[1].date: not a date"),
        (_with(["main_meter", 0, "date"], "31.05.2025"), "main_meter[0].date: not a date"),
        (_with(["sub_meter", "readings", 1, "value"], "12,5"),
         "sub_meter.readings[1].value: not a number"),
        (_with(["sub_meter", "readings", 1, "value"], "-1"),
         "sub_meter.readings[1].value: must not be negative"),
        (_with(["sewer_price"], "cheap"), "sewer_price: not a number"),
        (_with(["sewer_price"], True), "sewer_price: not a number"),
        (_with(["season"], "2025"), "season:"),
        (_with(["method"], "C"), "method:"),
        (_with(["facts", "bypass"], "no"), "facts.bypass:"),
        (_with(["facts", "reading_cycle_months"], 0), "facts.reading_cycle_months:"),
        (_with(["facts", "other_use"], None, delete=True), "facts.other_use: Field required"),
        (_with(["sub_meter", "verified_until"], None, delete=True),
         "sub_meter.verified_until: Field required"),
        (_with(["facts", "colour"], "blue"), "facts.colour:"),
        # The readings parse but cannot be judged (rebates.InvalidCase).
        (_with(["main_meter", 1, "value"], "500.000"),
         "main_meter[1].value: 500.000 on 2025-08-31 is below 575.000"),
        (_with(["main_meter", 1, "date"], "2025-05-31"), "two readings dated 2025-05-31 differ"),
    ],
)
def test_bad_input_exits_non_zero_naming_the_field(runner: Any, tmp_path: Path,
                                                  data: dict[str, Any], field: str) -> None:
    result = _run(runner, tmp_path, data)
    assert result.exit_code == 1
    assert field in result.output


def test_every_bad_field_is_named(runner: Any, tmp_path: Path) -> None:
    data = _with(["season"], "soon")
    data["sewer_price"] = "x"
    result = _run(runner, tmp_path, data)
    assert result.exit_code == 1
    assert "2 error(s)" in result.output
    assert "season:" in result.output
    assert "sewer_price:" in result.output


def test_numbers_may_be_json_numbers_but_never_floats(runner: Any, tmp_path: Path) -> None:
    # 0.1 + 0.2 as floats is 0.30000000000000004; read as Decimal it is exact.
    text = json.dumps(_case()).replace('"1.5240"', "1.5240")
    result = _run(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["refund_eur"] == "38.48"


@pytest.mark.parametrize(("text", "message"),
                         [("{", "not valid JSON"), ("[]", "(top level)")])
def test_not_a_case_at_all(runner: Any, tmp_path: Path, text: str, message: str) -> None:
    result = _run(runner, tmp_path, text)
    assert result.exit_code == 1
    assert message in result.output


def test_a_missing_file(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["rebates", "evaluate", str(tmp_path / "none.json")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
