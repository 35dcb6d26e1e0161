"""Every label the rule pages show is in the catalogues, through webapp/rule_labels.py."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale

from webapp.domain import rule_trace
from webapp.rule_labels import RULE_LABELS


def test_every_rule_label_is_marked_for_translation(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        marked = {str(label) for label in RULE_LABELS}
    shown = {application.label for application in rule_trace.all_applications()}
    assert shown - marked == set()
