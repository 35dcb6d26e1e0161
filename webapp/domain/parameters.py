"""The parameters the portal computes with that are neither a rebate rule set's
tables nor a deadline: ``rules/parameters/*.toml`` (``KEE-2012.toml``, ``portal.toml``).

Each has a ``value`` (an integer, or a decimal written as a string), a ``unit``, a
``description``, ``used_in`` (the dotted paths of the functions that apply it) and
either the ``clause`` it comes from ("KEE §38(1)") or, for the portal's own rules,
a ``basis`` in words. The code reads the values from here (``integer``,
``decimal``), never from a literal (tests/rules/test_no_rule_literals.py); a malformed
file raises ``ParameterError`` naming the file and the field. Names are unique
across the files. Pure: no Flask, no database.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from webapp.domain.rule_sets import RULES_DIR

PARAMETERS_DIR = RULES_DIR / "parameters"

_FIELDS = {"value", "unit", "description", "used_in", "clause", "basis"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CLAUSE = re.compile(r"^[A-Z][A-Za-z0-9-]*( §?\d|$)")


class ParameterError(ValueError):
    """A malformed parameter file, or an unknown parameter."""


@dataclass(frozen=True)
class Parameter:
    name: str
    value: int | Decimal
    unit: str
    description: str
    used_in: tuple[str, ...]
    clause: str | None  # None: the portal's own rule, said in ``basis``
    basis: str | None
    rule_file: str


def _text(entry: dict[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{where}.{field}: expected a non-empty string")
    return value


def _value(raw: object, where: str) -> int | Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ParameterError(f"{where}.value: expected an integer or a decimal as a string")
    if isinstance(raw, int):
        return raw
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ParameterError(f"{where}.value: {raw!r} is not a decimal") from None
    if not number.is_finite():
        raise ParameterError(f"{where}.value: {raw!r} is not a finite decimal")
    return number


def _parameter(name: str, entry: object, path: Path) -> Parameter:
    where = f"{path}: parameters.{name}"
    if not _NAME.match(name):
        raise ParameterError(f"{where}: a name is lower_case_with_underscores")
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a table")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise ParameterError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    if ("clause" in entry) == ("basis" in entry):
        raise ParameterError(f"{where}: give either clause (from a rule) or basis "
                             "(the portal's own rule), not both or neither")
    clause = _text(entry, "clause", where) if "clause" in entry else None
    if clause is not None and not _CLAUSE.match(clause):
        raise ParameterError(f"{where}.clause: cite the act, e.g. \"KEE §38(1)\"")
    used_in = entry.get("used_in")
    if not isinstance(used_in, list) or not used_in or not all(
            isinstance(item, str) and item.startswith("webapp.") for item in used_in):
        raise ParameterError(f"{where}.used_in: expected a non-empty list of dotted paths "
                             "starting with webapp.")
    return Parameter(name, _value(entry.get("value"), where), _text(entry, "unit", where),
                     _text(entry, "description", where), tuple(used_in), clause,
                     _text(entry, "basis", where) if clause is None else None,
                     f"rules/parameters/{path.name}")


def load_file(path: Path) -> tuple[Parameter, ...]:
    """The parameters of one file; ``ParameterError`` naming the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ParameterError(f"{path}: {error}") from None
    unknown = set(data) - {"id", "parameters"}
    if unknown:
        raise ParameterError(f"{path}: unknown fields {', '.join(sorted(unknown))}")
    if data.get("id") != path.stem:
        raise ParameterError(f"{path}: id: must be the file's name, {path.stem!r}")
    entries = data.get("parameters")
    if not isinstance(entries, dict) or not entries:
        raise ParameterError(f"{path}: parameters: expected a table of parameters")
    return tuple(_parameter(name, entry, path) for name, entry in entries.items())


def load_parameters(directory: Path | None = None) -> tuple[Parameter, ...]:
    """Every parameter of every file in ``directory`` (``rules/parameters/``)."""
    found: list[Parameter] = []
    seen: dict[str, str] = {}
    for path in sorted((directory or PARAMETERS_DIR).glob("*.toml")):
        for parameter in load_file(path):
            if parameter.name in seen:
                raise ParameterError(f"{path}: parameters.{parameter.name}: already in "
                                     f"{seen[parameter.name]}")
            seen[parameter.name] = parameter.rule_file
            found.append(parameter)
    return tuple(found)


@functools.cache
def parameters() -> tuple[Parameter, ...]:
    """The parameters of ``rules/parameters/``, loaded once."""
    return load_parameters()


def parameter(name: str) -> Parameter:
    for found in parameters():
        if found.name == name:
            return found
    raise ParameterError(f"unknown parameter {name!r} (rules/parameters/)")


def integer(name: str) -> int:
    """The value of ``name``, which must be an integer (months, days)."""
    value = parameter(name).value
    if not isinstance(value, int):
        raise ParameterError(f"{parameter(name).rule_file}: parameters.{name}.value: "
                             "expected an integer")
    return value


def decimal(name: str) -> Decimal:
    """The value of ``name`` as a Decimal (exact)."""
    return Decimal(parameter(name).value)
