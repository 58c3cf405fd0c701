"""Who may export and who may erase a person: pure predicates built on ``app.auth.permissions``.

An export holds the person's health data, so it follows the special category rule: the person
themselves and the coordinators of their own organisation (administrators only in their own).
Erasure reads no health data and is an act of running the deployment: the person's
coordinators, and administrators anywhere; nobody erases themselves, and only an administrator
erases an administrator.
"""

from __future__ import annotations

from ..auth.models import User
from ..auth.permissions import can_manage, can_see_health_data, is_admin


def can_export(actor: User, person: User) -> bool:
    return can_see_health_data(actor, person)


def can_erase(actor: User, person: User) -> bool:
    if actor.id == person.id or (is_admin(person) and not is_admin(actor)):
        return False
    return can_manage(actor, person)
