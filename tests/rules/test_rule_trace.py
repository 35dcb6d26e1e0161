"""Traceability both ways (issue 10 item 3): every parameter of the rule data that cites
a clause names the functions that apply it, each of them exists and reads it, and every
parameter is applied somewhere; ``applications()`` lists them by clause."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from webapp.domain import parameters, rule_trace
from webapp.domain.deadlines import load_deadlines
from webapp.domain.rule_sets import rule_sets


def _resolve(dotted: str) -> tuple[ModuleType, object]:
    """The module and the object of ``webapp.a.b.func`` or ``webapp.a.b.Class.method``,
    trying the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        found: object = module
        for name in parts[cut:]:
            found = getattr(found, name)  # AttributeError: the path does not exist
        return module, found
    raise AssertionError(f"{dotted}: no such module")


def _reads(dotted: str, word: str) -> bool:
    _module, found = _resolve(dotted)
    source = inspect.getsource(found)  # type: ignore[arg-type]
    return word.lower() in source.lower()


def _parameter_uses() -> list[tuple[str, str, str]]:
    """(parameter, dotted path, word it must read) for every traced use."""
    uses = [(f"parameters.{p.name}", path, p.name) for p in parameters.parameters()
            for path in p.used_in]
    for table, entries in rule_trace.load_trace().items():
        uses += [(f"{table}.{key}", path, entry.reads) for key, entry in entries.items()
                 for path in entry.used_in]
    return uses


@pytest.mark.parametrize(("parameter", "path", "word"), _parameter_uses())
def test_every_used_in_path_exists_and_reads_the_parameter(parameter: str, path: str,
                                                           word: str) -> None:
    assert callable(_resolve(path)[1]), f"{parameter}: {path} is not a function"
    assert _reads(path, word), f"{parameter}: {path} does not read {word!r}"


def test_every_rule_set_table_and_deadline_is_traced() -> None:
    trace = rule_trace.load_trace()
    tables = {application.parameter.split(".")[0]
              for rule_set in rule_sets()
              for application in rule_trace._rule_set_applications(rule_set)}
    assert tables <= set(trace["rule_sets"]), "a rule-set table missing from the trace"
    deadline_set = load_deadlines("KEE-2012")
    assert {key.value for key in deadline_set.deadlines} == set(trace["deadlines"])
    assert {key.value for key in deadline_set.percentages} == set(trace["percentages"])


# Known to the portal but not applied yet (rules/trace/used_in.toml says so).
NOT_APPLIED_YET = {"deadlines.price_group_change_notice", "deadlines.price_notice"}


def test_every_parameter_is_applied_somewhere() -> None:
    unused = {application.parameter for application in rule_trace.all_applications()
              if not application.used_in}
    assert unused == NOT_APPLIED_YET
    assert all(p.used_in for p in parameters.parameters())


def test_the_code_reads_the_values_from_the_rule_data() -> None:
    from webapp.domain import acts_compensation, billing, meter_acts, rebate_facts

    assert billing.FAILED_METER_MONTHS == parameters.integer("failed_meter_months") == 3
    assert billing.AVERAGE_MONTHS == parameters.integer("average_months") == 12
    assert meter_acts.CONTROL_VERIFICATION_MONTHS == 3
    assert rebate_facts.READING_GRACE_DAYS == 7
    assert rebate_facts.FREQUENCY_MONTHS == 12
    assert acts_compensation.BILLING_UNIT_M3 == 1


def test_applications_by_clause_anchor() -> None:
    kee = rule_trace.applications("KEE")
    (failed,) = kee["p38-1"]
    assert (failed.parameter, failed.value, failed.unit, failed.clause) == (
        "parameters.failed_meter_months", "3", "months", "KEE §38(1)")
    assert "webapp.domain.billing.failed_meter_window" in failed.used_in
    assert failed.rule_file == "rules/parameters/KEE-2012.toml"
    (cap,) = kee["p41-3"]
    assert (cap.value, cap.rule_file) == ("0.15", "rules/deadlines/KEE-2012.toml")
    assert [a.parameter for a in kee["p25-2"]] == [
        "deadlines.unauthorised_connection_default_duration"]
    elveso = rule_trace.applications("ELVESO-2014")
    assert [(a.parameter, a.value) for a in elveso["2.2"]] == [("caps.A", "30"),
                                                                ("caps.B", "30")]
    assert "parameters.reading_grace_days" in {a.parameter for a in elveso["3.2"]}
    assert "caps.A" in {a.parameter for a in rule_trace.applications("TV-2016")["TV-2016"]}
    assert rule_trace.applications("nonsense") == {}
    # The portal's own rule cites no clause, so no clause's page lists it.
    assert "parameters.average_months" not in {
        a.parameter for a in rule_trace.all_applications()}


@pytest.mark.parametrize(("clause", "key"), [
    ("KEE §38(1)", "p38-1"), ("KEE §24", "p24"), ("KEE §13(3)-(4)", "p13-3"),
    ("KEE §25(1) p 2; §25(2)", "p25-1"), ("ELVESO 2.2", "2.2"), ("ELVESO 2.1.5", "2.1.5"),
    ("TV-2016", "TV-2016"), ("ELVESO-2014", "ELVESO-2014")])
def test_clause_key(clause: str, key: str) -> None:
    assert rule_trace.clause_key(clause) == key


@pytest.mark.parametrize(("text", "message"), [
    ('id = "x"\n[parameters.a]\nvalue = 3\nunit = "m"\ndescription = "d"\n'
     'used_in = ["webapp.x"]\n', "give either clause"),
    ('id = "x"\n[parameters.a]\nvalue = 3\nunit = "m"\ndescription = "d"\nclause = "KEE §1"\n'
     'used_in = []\n', "parameters.a.used_in"),
    ('id = "x"\n[parameters.a]\nvalue = "three"\nunit = "m"\ndescription = "d"\n'
     'clause = "KEE §1"\nused_in = ["webapp.x"]\n', "parameters.a.value"),
    ('id = "y"\n[parameters.a]\nvalue = 3\nunit = "m"\ndescription = "d"\n'
     'clause = "KEE §1"\nused_in = ["webapp.x"]\n', "id: must be"),
])
def test_a_malformed_parameter_file_is_refused_naming_file_and_field(
        tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(parameters.ParameterError, match=r"x\.toml") as refused:
        parameters.load_file(path)
    assert message in str(refused.value)


def test_a_malformed_trace_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "used_in.toml"
    path.write_text('[rule_sets.caps]\nreads = "caps"\nused_in = ["rebates.x"]\n',
                    encoding="utf-8")
    with pytest.raises(rule_trace.TraceError, match=r"used_in.toml: rule_sets.caps.used_in"):
        rule_trace.load_trace(path)
