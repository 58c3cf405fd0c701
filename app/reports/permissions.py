"""Who may read an organisation's reports: its coordinators, and administrators (the figures
are aggregates, not special category data). Built on ``app.auth.permissions``, the one place
that reads roles.

A member asking about their own organisation is refused (403: the organisation is in reach,
the report is not theirs to read); anyone asking about an organisation out of their reach is
told it does not exist (404), so a report never confirms another organisation's existence.
"""

from __future__ import annotations

from ..auth.models import User
from ..auth.permissions import coordinates, in_reach


def can_see_organisation(actor: User, organisation_id: int) -> bool:
    return in_reach(actor, organisation_id)


def can_read_reports(actor: User, organisation_id: int) -> bool:
    return coordinates(actor, organisation_id)
