"""Issue 15, Proof 1: every route in the URL map, visited as six kinds of person with the
member's ids in every URL, answers what tests/web/route_expectations.py declares."""

from __future__ import annotations

import os

import pytest

from tests.route_matrix import ROLES, Route, Visitor, answer, build_world, path_for, routes, visit
from tests.web.route_expectations import EXPECTED


def check_declared(all_routes: list[Route], expected: dict[str, str]) -> None:
    undeclared = [r.key for r in all_routes if r.key not in expected]
    if undeclared:
        raise AssertionError(
            f"{len(undeclared)} route(s) have no declared answers: "
            + "; ".join(undeclared)
            + ". Declare each in tests/web/route_expectations.py (one line: "
            '"METHOD rule": "anonymous member other_member outsider coordinator admin", '
            'e.g. "GET /members/<id:member_id>/export": "L O H H O F").'
        )


def test_a_route_without_declared_answers_fails_naming_it_and_where_to_declare():
    with pytest.raises(AssertionError) as failure:
        check_declared([Route("GET", "/brand-new/<id:thing_id>")], EXPECTED)
    assert "GET /brand-new/<id:thing_id>" in str(failure.value)
    assert "tests/web/route_expectations.py" in str(failure.value)


def test_every_route_answers_every_role_as_declared(app, client, session):
    world = build_world(session)
    visitors = {role: Visitor(app, world.people[role]) for role in ROLES}
    all_routes = routes(app)
    recording = os.environ.get("RECORD_MATRIX") == "1"
    if not recording:
        check_declared(all_routes, EXPECTED)
    stale = sorted(set(EXPECTED) - {r.key for r in all_routes})
    assert not stale, f"declared in tests/web/route_expectations.py but not routes: {stale}"
    wrong = []
    checked = 0
    for route in all_routes:
        path = path_for(route, world.ids)
        got = " ".join(answer(visit(visitors[role], route, path, world.ids)) for role in ROLES)
        checked += len(ROLES)
        if recording:
            print(f'    "{route.key}": "{got}",')
        elif got != EXPECTED[route.key]:
            wrong.append(f"{route.key} ({path}): declared {EXPECTED[route.key]!r}, got {got!r}")
    assert not wrong, f"{len(wrong)} route(s) answered otherwise:\n" + "\n".join(wrong)
    assert checked == len(all_routes) * len(ROLES) and checked > 900
    print(f"\nauthorisation matrix: {len(all_routes)} routes x {len(ROLES)} roles = {checked}")
