"""The kinds of official acts and notices, each registered with ``acts.register``
when imported (``acts.spec_of`` imports this package)."""

from webapp.services.act_kinds import unauthorised_connection  # noqa: F401
from webapp.services.act_kinds import unauthorised_use  # noqa: F401
from webapp.services.act_kinds import prohibited_connection  # noqa: F401
from webapp.services.act_kinds import interruption_notice  # noqa: F401
