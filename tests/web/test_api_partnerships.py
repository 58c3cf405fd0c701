"""API.md "Between organisations": partnerships, exchanges across, and what each side sees."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.clock import london_date, utcnow
from app.timebank.models import Account, Partnership
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import assert_error, bearer

TODAY = london_date(utcnow()).isoformat()


@dataclass
class Network:
    member_a: User
    coordinator_a: User
    member_b: User
    coordinator_b: User
    outsider: User  # a member of a third organisation, not a partner
    outsider_coordinator: User


@pytest.fixture()
def network(session) -> Network:
    first, second, third = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    return Network(
        member_a=UserFactory(organisation=first),
        coordinator_a=CoordinatorFactory(organisation=first),
        member_b=UserFactory(organisation=second),
        coordinator_b=CoordinatorFactory(organisation=second),
        outsider=UserFactory(organisation=third),
        outsider_coordinator=CoordinatorFactory(organisation=third),
    )


def partner(client, network: Network, limit: int = 600) -> int:
    proposed = client.post(
        "/api/v1/partnerships",
        json={
            "partner_organisation_id": network.member_b.organisation_id,
            "limit_minutes": limit,
        },
        headers=bearer(network.coordinator_a),
    )
    assert proposed.status_code == 201, proposed.get_json()
    assert proposed.get_json()["status"] == "proposed"
    partnership_id = proposed.get_json()["id"]
    accepted = client.post(
        f"/api/v1/partnerships/{partnership_id}/accept", headers=bearer(network.coordinator_b)
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "active"
    return partnership_id


def across(client, provider, receiver, actor, minutes=90):
    return client.post(
        "/api/v1/exchanges",
        json={
            "provider_id": provider.id,
            "receiver_id": receiver.id,
            "minutes": minutes,
            "category": "cooking",
            "occurred_on": TODAY,
            "description": "Cooked a meal",
        },
        headers=bearer(actor),
    )


def organisation_sums(session) -> dict[int, int]:
    return dict(
        session.execute(
            select(Account.organisation_id, func.sum(Account.balance_minutes)).group_by(
                Account.organisation_id
            )
        ).all()
    )


def balance(session, user) -> int:
    return session.scalar(select(Account.balance_minutes).where(Account.user_id == user.id))


def test_partnership_is_proposed_accepted_seen_from_each_side_and_ended(client, network):
    partnership_id = partner(client, network, limit=300)
    ours = client.get("/api/v1/partnerships", headers=bearer(network.coordinator_a)).get_json()
    theirs = client.get("/api/v1/partnerships", headers=bearer(network.member_b)).get_json()
    assert ours["items"][0]["partner_organisation_id"] == network.member_b.organisation_id
    assert theirs["items"][0]["partner_organisation_id"] == network.member_a.organisation_id
    assert ours["items"][0]["limit_minutes"] == 300 and ours["items"][0]["net_minutes"] == 0
    assert (
        client.get("/api/v1/partnerships", headers=bearer(network.outsider)).get_json()["items"]
        == []
    )
    ended = client.post(
        f"/api/v1/partnerships/{partnership_id}/end", headers=bearer(network.coordinator_b)
    )
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    again = client.post(
        f"/api/v1/partnerships/{partnership_id}/end", headers=bearer(network.coordinator_a)
    )
    assert_error(again, 409, "invalid_transition")
    # History stays.
    listed = client.get("/api/v1/partnerships", headers=bearer(network.coordinator_a)).get_json()
    assert [item["status"] for item in listed["items"]] == ["ended"]


def test_only_the_partner_coordinator_accepts_and_members_cannot_propose(client, network):
    proposed = client.post(
        "/api/v1/partnerships",
        json={"partner_organisation_id": network.member_b.organisation_id, "limit_minutes": 60},
        headers=bearer(network.coordinator_a),
    ).get_json()
    assert_error(
        client.post(
            f"/api/v1/partnerships/{proposed['id']}/accept", headers=bearer(network.coordinator_a)
        ),
        403,
    )
    assert_error(
        client.post(
            f"/api/v1/partnerships/{proposed['id']}/accept",
            headers=bearer(network.outsider_coordinator),
        ),
        404,
    )
    assert_error(
        client.post(
            "/api/v1/partnerships",
            json={"partner_organisation_id": network.outsider.organisation_id, "limit_minutes": 60},
            headers=bearer(network.member_a),
        ),
        403,
    )
    duplicate = client.post(
        "/api/v1/partnerships",
        json={"partner_organisation_id": network.member_a.organisation_id, "limit_minutes": 60},
        headers=bearer(network.coordinator_b),
    )
    assert_error(duplicate, 409, "partnership_exists")
    assert_error(
        client.post(
            "/api/v1/partnerships",
            json={"partner_organisation_id": network.member_b.organisation_id, "limit_minutes": 0},
            headers=bearer(network.coordinator_a),
        ),
        422,
        field="limit_minutes",
    )


def test_exchange_across_posts_in_both_books_and_each_organisation_sums_to_zero(
    client, session, network
):
    partner(client, network)
    recorded = across(client, network.member_a, network.member_b, network.member_a)
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["status"] == "pending"
    # The recorder's own coordinator cannot answer for the other side.
    exchange_id = recorded.get_json()["id"]
    assert_error(
        client.post(
            f"/api/v1/exchanges/{exchange_id}/confirm", headers=bearer(network.coordinator_a)
        ),
        403,
    )
    confirmed = client.post(
        f"/api/v1/exchanges/{exchange_id}/confirm", headers=bearer(network.coordinator_b)
    )
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    assert balance(session, network.member_a) == 90
    assert balance(session, network.member_b) == -90
    sums = organisation_sums(session)
    assert sums[network.member_a.organisation_id] == 0
    assert sums[network.member_b.organisation_id] == 0
    ours = client.get("/api/v1/partnerships", headers=bearer(network.coordinator_a)).get_json()
    theirs = client.get("/api/v1/partnerships", headers=bearer(network.coordinator_b)).get_json()
    assert ours["items"][0]["net_minutes"] == 90
    assert theirs["items"][0]["net_minutes"] == -90
    # Reversed, it nets out.
    reversed_ = client.post(
        f"/api/v1/exchanges/{exchange_id}/reverse",
        json={"reason": "Recorded twice"},
        headers=bearer(network.coordinator_b),
    )
    assert reversed_.status_code == 200, reversed_.get_json()
    ours = client.get("/api/v1/partnerships", headers=bearer(network.coordinator_a)).get_json()
    assert ours["items"][0]["net_minutes"] == 0
    assert set(organisation_sums(session).values()) == {0}


def test_partnership_limit_bounds_the_net_flow(client, session, network):
    partner(client, network, limit=120)
    first = across(client, network.member_a, network.member_b, network.member_a, 90).get_json()
    second = across(client, network.member_a, network.member_b, network.member_a, 60).get_json()
    back = across(client, network.member_b, network.member_a, network.member_b, 60).get_json()
    assert (
        client.post(f"/api/v1/exchanges/{first['id']}/confirm", headers=bearer(network.member_b))
    ).status_code == 200
    refused = client.post(
        f"/api/v1/exchanges/{second['id']}/confirm", headers=bearer(network.member_b)
    )
    assert_error(refused, 409, "partnership_limit")
    assert balance(session, network.member_a) == 90
    # Time flowing back is always allowed, and makes room.
    assert (
        client.post(f"/api/v1/exchanges/{back['id']}/confirm", headers=bearer(network.member_a))
    ).status_code == 200
    assert (
        client.post(f"/api/v1/exchanges/{second['id']}/confirm", headers=bearer(network.member_b))
    ).status_code == 200
    assert balance(session, network.member_a) == 90
    assert set(organisation_sums(session).values()) == {0}


def test_member_limits_apply_on_both_sides(client, session, network):
    partner(client, network, limit=100_000)
    big = across(client, network.member_a, network.member_b, network.member_a, 1440).get_json()
    # The receiver's organisation allows -10 hours by default: 24 hours is too much.
    assert_error(
        client.post(f"/api/v1/exchanges/{big['id']}/confirm", headers=bearer(network.member_b)),
        409,
        "balance_limit",
    )
    assert balance(session, network.member_b) == 0


def test_naming_a_member_of_no_partner_is_422_like_an_unknown_id(client, network):
    partner(client, network)
    outsider = across(client, network.member_a, network.outsider, network.member_a)
    nobody = client.post(
        "/api/v1/exchanges",
        json={
            "provider_id": network.member_a.id,
            "receiver_id": 2**31 - 1,
            "minutes": 90,
            "category": "cooking",
            "occurred_on": TODAY,
        },
        headers=bearer(network.member_a),
    )
    first = assert_error(outsider, 422, field="receiver_id")
    second = assert_error(nobody, 422, field="receiver_id")
    assert first == second


def test_ended_partnership_refuses_new_and_pending_exchanges(client, session, network):
    partnership_id = partner(client, network)
    pending = across(client, network.member_a, network.member_b, network.member_a).get_json()
    client.post(f"/api/v1/partnerships/{partnership_id}/end", headers=bearer(network.coordinator_a))
    assert_error(
        client.post(f"/api/v1/exchanges/{pending['id']}/confirm", headers=bearer(network.member_b)),
        409,
        "partnership_ended",
    )
    assert_error(across(client, network.member_a, network.member_b, network.member_a), 422)
    assert session.get(Partnership, partnership_id).status == "ended"


def test_each_side_sees_the_other_sides_member_by_name_only(client, network):
    partner(client, network)
    exchange = across(client, network.member_a, network.member_b, network.member_a).get_json()
    seen = client.get(
        f"/api/v1/exchanges/{exchange['id']}", headers=bearer(network.coordinator_b)
    ).get_json()
    assert seen["provider_name"] == network.member_a.name
    for path in (
        f"/api/v1/members/{network.member_a.id}",
        f"/api/v1/members/{network.member_a.id}/account",
    ):
        assert_error(client.get(path, headers=bearer(network.coordinator_b)), 404)
    listed = client.get("/api/v1/members", headers=bearer(network.coordinator_b)).get_json()
    assert network.member_a.id not in [item["id"] for item in listed["items"]]
    assert network.member_a.email not in str(listed)
    exported = client.get(
        f"/api/v1/members/{network.member_a.id}/export", headers=bearer(network.coordinator_b)
    )
    assert exported.status_code == 404
    # The third organisation's coordinator sees nothing of it.
    assert_error(
        client.get(
            f"/api/v1/exchanges/{exchange['id']}", headers=bearer(network.outsider_coordinator)
        ),
        404,
    )
    listed = client.get("/api/v1/exchanges", headers=bearer(network.coordinator_b)).get_json()
    assert [item["id"] for item in listed["items"]] == [exchange["id"]]


def test_listings_include_active_partners_with_the_organisation_name(client, session, network):
    from tests.factories import ListingFactory

    ListingFactory(user=network.member_b, title="I can fix a bike")
    ListingFactory(user=network.outsider, title="I can bake bread")
    before = client.get("/api/v1/listings", headers=bearer(network.member_a)).get_json()
    assert before["items"] == []
    partner(client, network)
    after = client.get("/api/v1/listings", headers=bearer(network.member_a)).get_json()
    [item] = after["items"]
    assert item["title"] == "I can fix a bike"
    assert item["organisation_name"] == network.member_b.organisation.name
