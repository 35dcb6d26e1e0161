"""Labels of the rule data's parameters (webapp/domain/rule_trace.py), marked for translation.

The labels come from the rule files and ``rule_trace``, so message extraction cannot
find them where the pages show them (``_(application.label)``); listing them here puts
them in the catalogues. ``tests/rules/test_rule_labels.py`` fails when a label is missing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RULE_LABELS = (
    _l("A new price of the service is made public before it takes effect."),
    _l("Allowed methods"),
    _l("An interruption for repairs longer than this obliges temporary water supply at homes."),
    _l(
        "Calendar months before a control verification that are settled when the meter is beyond the tolerance."  # noqa: E501
    ),
    _l("Calendar months before the failure whose average daily use replaces a failed meter."),
    _l("Cap, method A"),
    _l("Cap, method B"),
    _l("Consumption history since"),
    _l("Dates of the start and end readings"),
    _l("Days after its date within which a reading still counts."),
    _l(
        "How long an unauthorised connection counts as having existed when its start cannot be proved."  # noqa: E501
    ),
    _l("Longest reading cycle"),
    _l(
        "Months before the end of the watering period over which readings must have been submitted."
    ),
    _l("Seasons the rule set governs"),
    _l("Sub-meter verification interval"),
    _l("Supply closed at the customer's request without ending the contract, at most this long."),
    _l("The customer files a claim about an invoice after receiving it."),
    _l("The customer notifies the end of the contract in writing before ownership passes."),
    _l("The customer reports a change of their price group."),
    _l("The highest late-payment interest a contract may set, of the unpaid sum."),
    _l("The new owner applies for a service contract after acquiring the property."),
    _l("The owner renews a terminated contract without a new connection contract."),
    _l("The step to which an estimated volume is rounded for billing."),
    _l("The utility announces planned works that limit or interrupt supply."),
    _l("The utility installs the meter after the service contract is made."),
    _l("The utility may warn in writing of closing the supply for an invoice left unpaid."),
    _l("The utility presents the draft service contract after receiving the application."),
    _l("The utility replaces a meter the customer damaged, after the customer has paid for it."),
    _l(
        "The utility replaces, free of charge, a meter that failed through no fault of the customer."  # noqa: E501
    ),
    _l("The utility reviews a claim about an invoice after receiving it."),
    _l("Watering period"),
    _l("Winter period"),
)
