"""Issue 15: consent withdrawal and erasure take effect at once everywhere. Every page and endpoint
in the URL map that answers GET is read, as everyone who might see the person, with the person's
ids in the URL; none may show what was removed.

A condition's name also appears wherever the whole taxonomy is listed (the conditions page, the
checkboxes of a form), so a page may show the person's condition no more often than it shows a
control condition nobody has: a page that shows it as *theirs* shows it once more.
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.clock import utcnow
from app.peers.conditions import withdraw_consent
from app.privacy.services import erase_person
from tests.factories import ConditionFactory, MemberConditionFactory, NotificationFactory
from tests.route_matrix import ROLES, Visitor, build_world, routes, texts

NAME = "Quentin Zebedee"
EMAIL = "quentin.zebedee@example.org"
POSTCODE = "ZE2 9QX"
CONDITION = "Zebedee syndrome"
CONTROL = "Control syndrome"


def _world(session):
    world = build_world(session)
    member = session.get(User, world.ids["member_id"])
    member.name, member.email, member.postcode = NAME, EMAIL, POSTCODE
    session.commit()
    MemberConditionFactory(member=member, condition=ConditionFactory(name=CONDITION))
    ConditionFactory(name=CONTROL)
    # Someone else's message that names them (a coordinator's reminder).
    NotificationFactory(
        recipient=world.people["coordinator"], text=f"{NAME} has an exchange waiting."
    )
    return world


def _leaks(visitors, all_routes, ids, *, identity: bool):
    found = []
    for role, visitor in visitors.items():
        for _route, path, body in texts(visitor, all_routes, ids):
            if identity:
                found += [(role, path, s) for s in (NAME, EMAIL, POSTCODE) if s in body]
            if body.count(CONDITION) > body.count(CONTROL):
                found.append((role, path, CONDITION))
    return found


def _seen(visitor, all_routes, ids) -> set[str]:
    shown = set()
    for _route, _path, body in texts(visitor, all_routes, ids):
        shown |= {s for s in (NAME, EMAIL, POSTCODE) if s in body}
        if body.count(CONDITION) > body.count(CONTROL):
            shown.add(CONDITION)
    return shown


def test_after_erasure_no_page_or_endpoint_shows_the_person(app, client, session):
    world = _world(session)
    watchers = [r for r in ROLES if r not in ("anonymous", "member")]
    visitors = {role: Visitor(app, world.people[role]) for role in watchers}
    coordinator_id, member_id = world.people["coordinator"].id, world.ids["member_id"]
    all_routes = routes(app)
    # The check can fail: before erasure their coordinator sees every one of these somewhere.
    assert _seen(visitors["coordinator"], all_routes, world.ids) == {
        NAME,
        EMAIL,
        POSTCODE,
        CONDITION,
    }
    erase_person(
        session,
        actor=session.get(User, coordinator_id),
        member_id=member_id,
        reason="Asked us to delete their data.",
        now=utcnow(),
    )
    session.commit()
    assert _leaks(visitors, all_routes, world.ids, identity=True) == []


def test_after_consent_is_withdrawn_no_page_or_endpoint_shows_their_conditions(
    app, client, session
):
    world = _world(session)
    visitors = {role: Visitor(app, world.people[role]) for role in ROLES}
    all_routes = routes(app)
    assert CONDITION in _seen(visitors["member"], all_routes, world.ids)
    member = session.scalar(select(User).where(User.email == EMAIL))
    withdraw_consent(session, actor=member, member_id=member.id, now=utcnow())
    session.commit()
    assert _leaks(visitors, all_routes, world.ids, identity=False) == []
