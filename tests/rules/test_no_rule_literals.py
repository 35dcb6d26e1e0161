"""A parameter that a clause decides is read from the rule data, never written as a
literal in ``webapp/domain/`` (issue 10 item 3). Three checks:

(a) a module-level UPPER_CASE constant bound to a number (``3``, ``Decimal("0.15")``,
    ``20 * 1024``) must be in ``TECHNICAL``, with the reason it is no rule's;
(b) a line whose comment cites a clause (``# KEE §38(1)``, ``ELVESO 3.2``,
    ``TV-2016``) holds no number but 0 and 1: the number the clause gives comes from
    the rule data;
(c) the functions listed as applying a parameter (``used_in``) do not hold its
    value as a literal.

A new constant fails (a) until it is either moved to rules/parameters/ (if a rule
decides it) or added to ``TECHNICAL`` with its reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from webapp.domain import parameters, rule_trace

DOMAIN = Path(__file__).resolve().parents[2] / "webapp" / "domain"

# Constants no clause decides, by "module.NAME": the reason each is technical.
TECHNICAL = {
    "acts_compensation._ZERO": "the number zero as a Decimal",
    "billing.VOLUME_PLACES": "decimal places of m³ kept (to the litre), a storage precision",
    "billing.MONEY_PLACES": "decimal places of euros (to the cent)",
    "billing._HUNDRED": "a percentage divided by a hundred",
    "billing._ONE_HUNDREDTH": "a percentage as a factor",
    "billing._CENT": "rounding step of euros",
    "camt053.MAX_BYTES": "upload size limit",
    "camt053.MAX_ENTRIES": "upload size limit",
    "camt053.MAX_PROBLEMS": "how many problems a report lists",
    "camt053.AMOUNT_DECIMALS": "ISO 20022 schema: fractionDigits",
    "camt053.AMOUNT_DIGITS": "ISO 20022 schema: totalDigits",
    "csv_readings.MAX_BYTES": "upload size limit",
    "csv_readings.MAX_ROWS": "upload size limit",
    "csv_readings._SNIFF_CHARS": "how much of a CSV file the dialect sniffer reads",
    "csv_readings._SNIFF_LINES": "how many lines the dialect sniffer reads",
    "csv_readings._MAX_CELLS": "columns of the readings CSV format",
    "deadlines._SATURDAY": "date.weekday() of Saturday",
    "deadlines._MONTHS_IN_YEAR": "the calendar",
    "meter_acts._LITRE": "rounding step of m³ shown (to the litre)",
    "meter_acts._HUNDRED": "a percentage divided by a hundred",
    "notices._SEARCH_LIMIT_DAYS": "a bound on a search loop, not a term",
    "readings.DECIMALS": "readings are stored to the litre",
    "readings.MAX_VALUE": "what the reading column holds, NUMERIC(12, 3)",
    "readings.INTEGER_DIGITS": "NUMERIC(12, 3)",
    "readings.HISTORY_DAYS": "the portal's plausibility check of a reading, no clause's",
    "readings.DEFAULT_WARNING_FACTOR": "the portal's plausibility check of a reading, no clause's",
    "rebates.VOLUME_PLACES": "decimal places of m³ kept (to the litre)",
    "rebates.MONEY_PLACES": "decimal places of euros (to the cent)",
    "rebates.SHOWN_PLACES": "decimal places of intermediate values shown",
    "rebates._SEASON_RULES_KEPT": "size of a cache",
    "reference_numbers.MIN_LENGTH": "the reference number's format (Pangaliit)",
    "reference_numbers.MAX_LENGTH": "the reference number's format (Pangaliit)",
    "regulations.MAX_QUERY_LENGTH": "search input limit",
    "regulations.SNIPPET_CONTEXT": "characters shown around a search hit",
    "smart_csv.MAX_BYTES": "upload size limit",
    "smart_csv.MAX_ROWS": "upload size limit",
    "smart_csv.PROGRESS_EVERY": "how often progress is reported",
    "what_if.MIN_GROUP": "privacy: the smallest group shown (issue 10 item 5), no clause's",
    "what_if.MAX_CAP_M3": "input validation of a proposal, no clause's",
    "what_if.ZERO_EUR": "the number zero in euros",
    "what_if.ZERO_M3": "the number zero in m³",
    "what_if.SMALL_CHANGE_EUR": "how the report groups changes, no clause's",
    "what_if.LARGE_CHANGE_EUR": "how the report groups changes, no clause's",
}

# A comment citing a clause: KEE §24(1), §38, ELVESO 3.2, TV-2016.
_CITES_CLAUSE = re.compile(r"KEE\s*§|§\s*\d|ELVESO\s+\d|TV-20\d\d")
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
_ALLOWED_NUMBERS = {Decimal(0), Decimal(1)}


def _is_number(node: ast.expr) -> bool:
    """Whether ``node`` is a number written out: 3, -3, 2 * 1024, Decimal("0.15")."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_number(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_number(node.left) and _is_number(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
            node.func.id == "Decimal") and len(node.args) == 1 and not node.keywords:
        (argument,) = node.args
        return isinstance(argument, ast.Constant) and isinstance(argument.value, str | int)
    return False


def numeric_constants(source: str) -> Iterator[tuple[int, str]]:
    """(line, NAME) of each module-level UPPER_CASE name bound to a number."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and _CONSTANT_NAME.match(target.id) and (
                    _is_number(value)):
                yield node.lineno, target.id


def numbers_beside_clauses(source: str) -> Iterator[tuple[int, str]]:
    """(line, number) of each number other than 0 and 1 on a line whose comment cites
    a clause."""
    by_line: dict[int, list[tokenize.TokenInfo]] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        by_line.setdefault(token.start[0], []).append(token)
    for line, tokens in sorted(by_line.items()):
        if not any(token.type == tokenize.COMMENT and _CITES_CLAUSE.search(token.string)
                   for token in tokens):
            continue
        for token in tokens:
            if token.type == tokenize.NUMBER and _number(token.string) not in _ALLOWED_NUMBERS:
                yield line, token.string


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None


def literal_numbers(source: str) -> set[Decimal]:
    """Every number written in ``source``: numeric constants and the strings given to
    ``Decimal(...)``."""
    found = set()
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and (
                not isinstance(node.value, bool)):
            found.add(Decimal(str(node.value)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "Decimal") and node.args and isinstance(
                node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            number = _number(node.args[0].value)
            if number is not None:
                found.add(number)
    return found


def _modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_numeric_constants_are_technical(path: Path) -> None:
    found = [f"{path.name}:{line} {name}" for line, name in
             numeric_constants(path.read_text(encoding="utf-8"))
             if f"{path.stem}.{name}" not in TECHNICAL]
    assert not found, (
        "a number bound to a constant: if a clause decides it, put it in "
        "rules/parameters/ and read it from there; if not, add it to TECHNICAL with "
        f"the reason: {found}")


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_no_number_beside_a_cited_clause(path: Path) -> None:
    found = [f"{path.name}:{line} {number}" for line, number in
             numbers_beside_clauses(path.read_text(encoding="utf-8"))]
    assert not found, f"a clause's number written in the code, not read from the rules: {found}"


def test_the_technical_allowlist_has_no_stale_entries() -> None:
    present = {f"{path.stem}.{name}" for path in _modules()
               for _line, name in numeric_constants(path.read_text(encoding="utf-8"))}
    assert set(TECHNICAL) <= present


def _values_and_uses() -> Iterator[tuple[str, Decimal, str]]:
    for application in rule_trace.all_applications():
        value = _number(application.value)
        if value is not None and value not in _ALLOWED_NUMBERS:
            for path in application.used_in:
                yield application.parameter, value, path
    for parameter in parameters.parameters():
        if parameter.clause is None and Decimal(parameter.value) not in _ALLOWED_NUMBERS:
            for path in parameter.used_in:
                yield f"parameters.{parameter.name}", Decimal(parameter.value), path


def _source_of(dotted: str) -> str:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return inspect.getsource(found)  # type: ignore[arg-type]
    raise AssertionError(f"{dotted}: no such module")


@pytest.mark.parametrize(("parameter", "value", "path"), list(_values_and_uses()))
def test_a_used_in_function_does_not_write_the_value(parameter: str, value: Decimal,
                                                     path: str) -> None:
    assert value not in literal_numbers(_source_of(path)), (
        f"{path} writes {value}, the value of {parameter}: read it from the rule data")


# --------------------------------------------------------------------------- the checks check


FAKE_MODULE = '''\
from decimal import Decimal

MAX_BYTES = 2 * 1024
FAILED_METER_MONTHS = 3  # KEE §38(1)
LATE_CAP: Decimal = Decimal("0.15")


def failed_window(day):
    return day - 90  # KEE §38(1): three months
'''


def test_the_checks_report_a_rule_written_as_a_literal() -> None:
    assert list(numeric_constants(FAKE_MODULE)) == [
        (3, "MAX_BYTES"), (4, "FAILED_METER_MONTHS"), (5, "LATE_CAP")]
    assert list(numbers_beside_clauses(FAKE_MODULE)) == [(4, "3"), (9, "90")]
    assert {Decimal(3), Decimal("0.15"), Decimal(90)} <= literal_numbers(FAKE_MODULE)


def test_the_checks_pass_a_rule_read_from_the_data() -> None:
    good = ('FAILED_METER_MONTHS = parameters.integer("failed_meter_months")'
            '  # KEE §38(1)\n'
            'def f(day):\n    return months_after(day, -FAILED_METER_MONTHS)  # KEE §38(1)\n')
    assert list(numeric_constants(good)) == []
    assert list(numbers_beside_clauses(good)) == []
    assert literal_numbers(good) == set()
