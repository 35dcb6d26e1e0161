"""The kinds of official acts and notices, each registered with ``acts.register``
when imported (``acts.spec_of`` imports this package)."""

from webapp.services.act_kinds import (
    closure_warning,  # noqa: F401
    inspection_report,  # noqa: F401
    interruption_notice,  # noqa: F401
    meter_act,  # noqa: F401
    meter_failure,  # noqa: F401
    prohibited_connection,  # noqa: F401
    unauthorised_connection,  # noqa: F401
    unauthorised_use,  # noqa: F401
)
