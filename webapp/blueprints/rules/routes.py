"""The rules blueprint: importing the modules registers their routes on ``bp``."""

from __future__ import annotations

from webapp.blueprints.rules import bp, feed, regulation, rule_sets

__all__ = ["bp", "feed", "regulation", "rule_sets"]
