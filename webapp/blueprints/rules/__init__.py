"""Published rules for the public and the town council (issue 10).

Public pages, no login: the regulation clause by clause (``regulation.py``), the
rebate rule sets and what was in force on a date, differences between versions
(``rule_sets.py``), and the Atom feed of rule changes and planned interruptions
(``feed.py``). The council's what-if report is the ``council`` blueprint.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rules", __name__, url_prefix="/rules")
