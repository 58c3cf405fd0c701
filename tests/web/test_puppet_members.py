"""Hole 4 of issue 15: a coordinator crediting themselves through a member they created (a
"puppet" with a password the coordinator knows). Member creation and settings changes are
audited; exchanges between a coordinator (or the organisation) and a member that coordinator
added in the last 30 days need a second coordinator or an administrator; limits are bounded;
administrators see every coordinator's activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.auth.models import User
from app.clock import london_date, utcnow
from app.jobs import runs
from app.timebank.models import Exchange
from tests.factories import AdminFactory, CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import assert_error, bearer, sign_in


@pytest.fixture()
def puppet(client, session):
    organisation = OrganisationFactory(auto_confirm_days=3)
    coordinator = CoordinatorFactory(organisation=organisation)
    response = client.post(
        "/api/v1/members",
        json={"name": "Pat Puppet", "email": "pat@example.org", "password": "known to them"},
        headers=bearer(coordinator),
    )
    assert response.status_code == 201
    return {
        "organisation": organisation,
        "coordinator": coordinator,
        "puppet": session.get(User, response.get_json()["id"]),
        "colleague": CoordinatorFactory(organisation=organisation),
    }


def record(client, by, **sides) -> dict:
    """``by`` records 10 hours between ``sides`` (API names: provider_id, receiver_…)."""
    body = {"minutes": 600, "category": "other", "occurred_on": str(london_date(utcnow()))}
    response = client.post("/api/v1/exchanges", json={**body, **sides}, headers=bearer(by))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def confirm(client, by, exchange: dict):
    return client.post(f"/api/v1/exchanges/{exchange['id']}/confirm", headers=bearer(by))


def to_the_organisation(puppet) -> dict:
    """The puppet "gives" the organisation's account 10 hours (which has no limit)."""
    return {
        "provider_id": puppet["puppet"].id,
        "receiver_organisation_id": puppet["organisation"].id,
    }


def test_the_coordinator_cannot_confirm_hours_their_new_member_gives_the_organisation(
    client, puppet
):
    """Before: the puppet "gave" the organisation 10 hours and its creator confirmed it."""
    coordinator = puppet["coordinator"]
    exchange = record(client, puppet["puppet"], **to_the_organisation(puppet))
    assert exchange["status"] == "pending"
    assert_error(confirm(client, coordinator, exchange), 403)
    seen = client.get(f"/api/v1/exchanges/{exchange['id']}", headers=bearer(coordinator))
    assert "confirm" not in seen.get_json()["allowed_actions"]
    confirmed = confirm(client, puppet["colleague"], exchange)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"


def test_an_admin_is_a_second_pair_of_eyes_too(client, puppet):
    exchange = record(client, puppet["puppet"], **to_the_organisation(puppet))
    assert confirm(client, AdminFactory(), exchange).status_code == 200


def test_the_coordinators_own_record_for_their_new_member_waits_for_a_second(client, puppet):
    """Before: a coordinator's record between the organisation and a member was confirmed at
    once."""
    exchange = record(client, puppet["coordinator"], **to_the_organisation(puppet))
    assert exchange["status"] == "pending"
    assert_error(confirm(client, puppet["coordinator"], exchange), 403)


def test_the_coordinator_is_never_paid_by_their_new_member_alone(client, puppet):
    coordinator, member = puppet["coordinator"], puppet["puppet"]
    sides = {"provider_id": coordinator.id, "receiver_id": member.id}
    # The puppet says the coordinator gave them 10 hours: the coordinator cannot confirm it.
    paid = record(client, member, **sides)
    assert paid["status"] == "pending"
    assert_error(confirm(client, coordinator, paid), 403)
    # The coordinator says they gave the puppet 10 hours: the puppet cannot confirm it.
    claimed = record(client, coordinator, **sides)
    assert claimed["status"] == "pending"
    assert_error(confirm(client, member, claimed), 403)
    assert confirm(client, puppet["colleague"], claimed).status_code == 200


def test_time_does_not_confirm_it_either(client, session, puppet):
    exchange = record(client, puppet["puppet"], **to_the_organisation(puppet))
    later = utcnow() + timedelta(days=10)
    runs.run_auto_confirmations(session, later)
    runs.run_auto_confirmations(session, later + timedelta(days=2))
    assert session.get(Exchange, exchange["id"]).status == "pending"


def test_after_thirty_days_the_member_is_like_any_other(client, session, puppet):
    puppet["puppet"].created_at = utcnow() - timedelta(days=31)
    session.commit()
    assert record(client, puppet["coordinator"], **to_the_organisation(puppet))["status"] == (
        "confirmed"
    )
    # A member someone else added is at arm's length from the start.
    other = UserFactory(organisation=puppet["organisation"])
    sides = {"provider_id": other.id, "receiver_organisation_id": puppet["organisation"].id}
    assert record(client, puppet["coordinator"], **sides)["status"] == "confirmed"


def test_member_creation_and_settings_changes_are_audited(client, session, puppet):
    """Before: neither left a trace in the audit trail."""
    coordinator, organisation = puppet["coordinator"], puppet["organisation"]
    created = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "member.created", AuditEvent.member_id == puppet["puppet"].id
        )
    )
    assert created is not None and created.actor_id == coordinator.id
    response = client.post(
        f"/api/v1/organisations/{organisation.id}/settings",
        json={"min_balance_minutes": -60, "max_balance_minutes": 600, "hourly_rate_pence": 1500},
        headers=bearer(coordinator),
    )
    assert response.status_code == 200, response.get_json()
    changed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.settings_changed")
    ).all()
    assert [(e.actor_id, e.object_id) for e in changed] == [(coordinator.id, organisation.id)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_balance_minutes", 1_001 * 60),
        ("min_balance_minutes", -201 * 60),
        ("max_balance_minutes", 10_000 * 60),
    ],
)
def test_organisation_limits_are_bounded(client, session, puppet, field, value):
    """Before: a coordinator could let a member hold 10,000 hours."""
    body = {"min_balance_minutes": -600, "max_balance_minutes": 6000, "hourly_rate_pence": 1500}
    response = client.post(
        f"/api/v1/organisations/{puppet['organisation'].id}/settings",
        json={**body, field: value},
        headers=bearer(puppet["coordinator"]),
    )
    assert_error(response, 422, field=field)


def test_an_admin_sees_who_created_credited_and_reversed_what(client, session, puppet):
    coordinator = puppet["coordinator"]
    other = UserFactory(organisation=puppet["organisation"], name="Olive Armslength")
    sides = {"provider_id": other.id, "receiver_organisation_id": puppet["organisation"].id}
    credited = record(client, coordinator, **sides)
    reversed_ = client.post(
        f"/api/v1/exchanges/{credited['id']}/reverse",
        json={"reason": "Recorded twice"},
        headers=bearer(puppet["colleague"]),
    )
    assert reversed_.status_code == 200, reversed_.get_json()
    sign_in(client, AdminFactory())
    page = client.get("/admin/coordinator-activity")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert coordinator.name in text and puppet["colleague"].name in text
    assert "Pat Puppet" in text and "Olive Armslength" in text
    for action in ("added a member", "credited", "reversed"):
        assert action in text
    client.post("/sign-out")
    for person in (coordinator, UserFactory()):
        sign_in(client, person)
        assert client.get("/admin/coordinator-activity").status_code == 403
        client.post("/sign-out")


def test_the_api_shows_administrators_the_same_activity(client, session, puppet):
    record(client, puppet["coordinator"], **to_the_organisation(puppet))
    body = client.get("/api/v1/coordinator-activity", headers=bearer(AdminFactory())).get_json()
    mine = next(r for r in body["coordinators"] if r["coordinator_id"] == puppet["coordinator"].id)
    assert mine["members_added"] == 1 and mine["exchanges_recorded"] == 1
    assert mine["credits"] == 0  # still waiting for a second coordinator
    assert {action["what"] for action in body["recent"]} >= {"added a member"}
    for refused in (puppet["coordinator"], puppet["puppet"]):
        assert_error(client.get("/api/v1/coordinator-activity", headers=bearer(refused)), 403)
