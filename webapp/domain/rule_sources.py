"""The rules the portal applies, by the short names cited in code (see DOMAIN.md).

Titles stay in Estonian: they are the names of the acts as adopted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSource:
    short_name: str
    title: str
    issuer: str
    in_force_from: dt.date


RULE_SOURCES: tuple[RuleSource, ...] = (
    RuleSource(
        "KEE",
        "Kuressaare linna ühisveevärgi ja -kanalisatsiooni kasutamise eeskiri "
        "(vastu võetud 28.09.2006 nr 26, redaktsioon)",
        "Kuressaare Linnavolikogu",
        dt.date(2012, 8, 1),
    ),
    RuleSource(
        "ELVESO-2014",
        "AS ELVESO kastmisvee arvestamise kord (Rae Vallavalitsuse korraldus 20.03.2014 nr 338)",
        "Rae Vallavalitsus",
        dt.date(2014, 3, 20),
    ),
    RuleSource(
        "TV-2016", "Kastmisvee tagasiarvestus", "AS Tallinna Vesi", dt.date(2016, 3, 1)
    ),
    RuleSource(
        "TV-2020", "Kastmisvee tagasiarvestuse kord 2020", "AS Tallinna Vesi", dt.date(2020, 1, 1)
    ),
)
