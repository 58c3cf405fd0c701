"""The Matching API as API.md promises it: shapes, status codes, codes, and what each side sees."""

from __future__ import annotations

import pytest

from app.clock import london_date, utcnow
from tests.helpers import assert_error, bearer
from tests.matching_network import network, place


@pytest.fixture()
def net(session):
    n = network()
    place("LS6 2AB", 0)
    place("LS6 3AA", 1.8)
    place("LS20 1AA", 30)
    return n


def _journey(client, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    coordinator = bearer(net.coordinator)
    made = client.post(
        "/api/v1/matches",
        json={"referral_id": referral.id, "peer_id": peer.id},
        headers=coordinator,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["status"] == "proposed"
    return referral, peer, made.get_json()["id"], coordinator


def test_candidates_list_best_first_with_reasons(client, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    best = net.peer("LS6 3AA", ["multiple_sclerosis"])
    net.peer("LS6 3AA", ["type_2_diabetes"])
    response = client.get(
        f"/api/v1/referrals/{referral.id}/candidates?limit=5", headers=bearer(net.coordinator)
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert items[0]["peer_id"] == best.id
    assert set(items[0]) == {"peer_id", "score", "distance_km", "reasons"}
    assert 0 <= items[-1]["score"] <= items[0]["score"] <= 1
    assert items[0]["distance_km"] == 1.8


def test_why_not_lists_every_excluding_rule(client, net):
    referral = net.referral(languages=["Punjabi"])
    peer = net.peer("LS6 3AA", paused=True)
    body = client.get(
        f"/api/v1/referrals/{referral.id}/candidates/{peer.id}", headers=bearer(net.coordinator)
    ).get_json()
    assert body["eligible"] is False
    assert {e["code"] for e in body["excluded_by"]} == {"peer_paused", "language"}
    fine = net.peer("LS6 3AA", languages=["Punjabi"])
    ok = client.get(
        f"/api/v1/referrals/{referral.id}/candidates/{fine.id}", headers=bearer(net.coordinator)
    ).get_json()
    assert ok["eligible"] is True and ok["peer_id"] == fine.id and ok["reasons"]


def test_members_and_other_organisations_get_404(client, net):
    referral = net.referral()
    other = network()
    assert_error(
        client.get(
            f"/api/v1/referrals/{referral.id}/candidates", headers=bearer(other.coordinator)
        ),
        404,
    )
    assert_error(
        client.get(f"/api/v1/referrals/{referral.id}/candidates", headers=bearer(net.person())),
        404,
    )
    stranger = other.peer("LS6 2AB")
    assert_error(
        client.post(
            "/api/v1/matches",
            json={"referral_id": referral.id, "peer_id": stranger.id},
            headers=bearer(net.coordinator),
        ),
        404,
    )


def test_hard_rule_is_409_with_its_code(client, net):
    referral = net.referral(support_types=["accompany"])
    peer = net.peer("LS6 3AA", dbs_checked_on=None, support_types=["talk"])
    assert_error(
        client.post(
            "/api/v1/matches",
            json={"referral_id": referral.id, "peer_id": peer.id},
            headers=bearer(net.coordinator),
        ),
        409,
        "dbs_required",
    )
    self_match = net.peer("LS6 2AB")
    own = net.referral(person=self_match.member)
    assert_error(
        client.post(
            "/api/v1/matches",
            json={"referral_id": own.id, "peer_id": self_match.id},
            headers=bearer(net.coordinator),
        ),
        409,
        "self_match",
    )


def test_the_journey_through_the_api_and_what_each_side_sees(client, net):
    referral, peer, match_id, coordinator = _journey(client, net)
    as_peer = bearer(peer.member)
    as_person = bearer(referral.member)
    before = client.get(f"/api/v1/matches/{match_id}", headers=as_peer).get_json()
    assert set(before) == {"id", "status", "referral"}
    assert set(before["referral"]) == {
        "condition_codes",
        "postcode_district",
        "support_types",
        "modes",
        "preferences",
    }
    assert referral.member.name not in str(before) and "LS6 2AB" not in str(before)
    assert_error(
        client.post(f"/api/v1/matches/{match_id}/introduce", headers=coordinator),
        409,
        "invalid_transition",
    )
    assert client.post(f"/api/v1/matches/{match_id}/accept", headers=as_peer).get_json() == {
        "id": match_id,
        "status": "accepted",
    }
    still = client.get(f"/api/v1/matches/{match_id}", headers=as_peer).get_json()
    assert "person" not in still
    moved = client.post(f"/api/v1/matches/{match_id}/introduce", headers=as_person)
    assert moved.status_code == 200 and moved.get_json()["status"] == "introduced"
    after = client.get(f"/api/v1/matches/{match_id}", headers=as_peer).get_json()
    assert after["person"] == {"name": referral.member.name, "email": referral.member.email}
    assert (
        client.get(f"/api/v1/matches/{match_id}", headers=as_person).get_json()["peer"]["name"]
        == peer.member.name
    )

    checked = client.post(
        f"/api/v1/matches/{match_id}/check-ins", json={"note": "All well"}, headers=as_peer
    )
    assert checked.status_code == 201 and checked.get_json()["note"] == "All well"
    support = client.post(
        f"/api/v1/matches/{match_id}/support",
        json={
            "minutes": 60,
            "occurred_on": london_date(utcnow()).isoformat(),
            "description": "Plan",
        },
        headers=as_peer,
    )
    assert support.status_code == 201
    assert support.get_json()["status"] == "pending"
    confirm = client.post(
        f"/api/v1/exchanges/{support.get_json()['exchange_id']}/confirm", headers=as_person
    )
    assert confirm.status_code == 200, confirm.get_json()
    by_coordinator = client.post(
        f"/api/v1/matches/{match_id}/support",
        json={"minutes": 30, "occurred_on": london_date(utcnow()).isoformat()},
        headers=coordinator,
    )
    assert by_coordinator.get_json()["status"] == "confirmed"
    closed = client.post(
        f"/api/v1/matches/{match_id}/close",
        json={"outcome": "Plan signed off", "feedback": "Kind"},
        headers=coordinator,
    )
    assert closed.get_json() == {"id": match_id, "status": "closed"}
    listed = client.get("/api/v1/matches?status=closed", headers=as_peer).get_json()
    assert [m["id"] for m in listed["items"]] == [match_id]
    assert_error(
        client.post(f"/api/v1/matches/{match_id}/accept", headers=as_peer),
        409,
        "invalid_transition",
    )


def test_decline_needs_a_reason_and_requeues(client, net):
    referral, peer, match_id, coordinator = _journey(client, net)
    assert_error(
        client.post(f"/api/v1/matches/{match_id}/decline", json={}, headers=coordinator),
        422,
        field="reason",
    )
    declined = client.post(
        f"/api/v1/matches/{match_id}/decline",
        json={"reason": "Moving away"},
        headers=bearer(peer.member),
    )
    assert declined.get_json()["status"] == "declined"
    queue = client.get(f"/api/v1/referrals/{referral.id}", headers=coordinator).get_json()
    assert queue["status"] == "waiting"
    assert_error(
        client.post(
            "/api/v1/matches",
            json={"referral_id": referral.id, "peer_id": peer.id},
            headers=coordinator,
        ),
        409,
        "declined_before",
    )


def test_outsiders_cannot_see_a_match(client, net):
    _referral, _peer, match_id, _ = _journey(client, net)
    assert_error(client.get(f"/api/v1/matches/{match_id}", headers=bearer(net.person())), 404)
    assert_error(
        client.get(f"/api/v1/matches/{match_id}", headers=bearer(network().coordinator)), 404
    )


def test_batch_dry_run_holds_then_confirms(client, net):
    net.peer("LS6 3AA", ["multiple_sclerosis"], capacity=2)
    referrals = [net.referral(codes=["multiple_sclerosis"]) for _ in range(2)]
    coordinator = bearer(net.coordinator)
    dry = client.post(
        "/api/v1/matching/batch", json={"dry_run": True}, headers=coordinator
    ).get_json()
    assert sorted(a["referral_id"] for a in dry["assignments"]) == sorted(r.id for r in referrals)
    assert dry["total_score"] > 0
    assert all(
        client.get(f"/api/v1/referrals/{r.id}", headers=coordinator).get_json()["status"]
        == "waiting"
        for r in referrals
    )
    done = client.post(
        "/api/v1/matching/batch", json={"dry_run": False}, headers=coordinator
    ).get_json()
    assert done["assignments"] == dry["assignments"]
    assert all(
        client.get(f"/api/v1/referrals/{r.id}", headers=coordinator).get_json()["status"]
        == "proposed"
        for r in referrals
    )
    assert_error(
        client.post("/api/v1/matching/batch", json={"dry_run": True}, headers=bearer(net.person())),
        403,
    )
