"""The matching services end to end: candidates, Why not?, propose, accept, decline,
introduce, close, check-ins and peer-support time, without a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import london_date
from app.errors import Conflict, Forbidden, NotFound
from app.mail import OutboxEmail
from app.matching import candidates, workflow
from app.matching.models import DeclinedPair
from app.peers import plans
from app.timebank import exchanges
from app.timebank.services import member_account, organisation_account
from tests.factories import CoordinatorFactory, SignedOffSupportPlanFactory
from tests.integration.conftest import NOW, actions
from tests.matching_network import network, place


@pytest.fixture()
def net(session):
    n = network()
    place("LS6 2AB", 0)
    place("LS6 3AA", 1.8)
    place("LS7 1AA", 6)
    place("LS20 1AA", 30)
    return n


def test_candidates_rank_same_condition_first_with_reasons(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    same = net.peer("LS7 1AA", ["multiple_sclerosis"])
    group = net.peer("LS6 3AA", ["parkinsons"])
    other = net.peer("LS6 3AA", ["type_2_diabetes"])
    found = candidates.candidates_for(session, net.coordinator, referral.id, 10, now=NOW)
    assert [s.peer_id for s in found] == [same.id, group.id, other.id]
    assert found[0].reasons[0].startswith("Both live with multiple sclerosis")
    assert "1.8 km away" in found[1].reasons


def test_candidates_leave_out_far_peers_with_nothing_in_common(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    far_other = net.peer("LS20 1AA", ["type_2_diabetes"], travel_km=100)
    far_same = net.peer("LS20 1AA", ["multiple_sclerosis"], travel_km=100)
    ids = [
        s.peer_id
        for s in candidates.candidates_for(session, net.coordinator, referral.id, 10, now=NOW)
    ]
    assert far_same.id in ids and far_other.id not in ids


def test_why_not_names_every_rule_in_plain_english(session, net):
    referral = net.referral(
        codes=["multiple_sclerosis"], support_types=["accompany"], languages=["Punjabi"]
    )
    peer = net.peer("LS20 1AA", ["multiple_sclerosis"], dbs_checked_on=None, travel_km=5)
    answer = candidates.why_not(session, net.coordinator, referral.id, peer.id, now=NOW)
    assert not answer.eligible
    codes = {e.code for e in answer.excluded_by}
    assert codes == {"dbs_required", "too_far", "language"}
    assert any(
        "No DBS check on file for going with someone in person" in e.message
        for e in answer.excluded_by
    )


def test_why_not_for_another_organisation_is_not_found(session, net):
    referral = net.referral()
    stranger = network().peer("LS6 2AB")
    with pytest.raises(NotFound):
        candidates.why_not(session, net.coordinator, referral.id, stranger.id, now=NOW)
    with pytest.raises(NotFound):
        candidates.candidates_for(session, CoordinatorFactory(), referral.id, now=NOW)


def _through_to_introduction(session, net, referral, peer):
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    workflow.accept_match(session, actor=peer.member, match_id=match.id, now=NOW)
    workflow.introduce_match(session, actor=referral.member, match_id=match.id, now=NOW)
    return match


def test_the_whole_journey_moves_the_referral_and_tells_people(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    assert (match.status, referral.status) == ("proposed", "proposed")
    told = session.scalars(select(OutboxEmail.to_address)).all()
    assert told == [peer.member.email]
    with pytest.raises(Conflict) as early:
        workflow.introduce_match(session, actor=net.coordinator, match_id=match.id, now=NOW)
    assert early.value.code == "invalid_transition"
    workflow.accept_match(session, actor=peer.member, match_id=match.id, now=NOW)
    workflow.introduce_match(session, actor=referral.member, match_id=match.id, now=NOW)
    assert (match.status, referral.status) == ("introduced", "matched")
    assert len(session.scalars(select(OutboxEmail)).all()) == 3
    check = workflow.record_check_in(
        session,
        actor=peer.member,
        match_id=match.id,
        note="Good chat",
        now=NOW + timedelta(days=14),
    )
    assert check.kind == "2_weeks"
    workflow.close_match(
        session,
        actor=peer.member,
        match_id=match.id,
        outcome="Plan written",
        feedback="Glad to help",
        now=NOW,
    )
    assert (match.status, referral.status, match.peer_feedback) == (
        "closed",
        "closed",
        "Glad to help",
    )
    assert "match.conditions_shared" in actions(session, referral.member)


def test_the_peer_cannot_introduce_themselves(session, net):
    referral = net.referral()
    peer = net.peer("LS6 3AA")
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    workflow.accept_match(session, actor=peer.member, match_id=match.id, now=NOW)
    with pytest.raises(Forbidden):
        workflow.introduce_match(session, actor=peer.member, match_id=match.id, now=NOW)


def test_decline_returns_the_referral_to_its_place_and_the_pair_never_comes_back(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    waiting_since = referral.waiting_since
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    workflow.decline_match(
        session,
        actor=peer.member,
        match_id=match.id,
        reason="Too busy",
        now=NOW + timedelta(days=3),
    )
    assert referral.status == "waiting" and referral.waiting_since == waiting_since
    assert session.scalar(select(DeclinedPair).where(DeclinedPair.referral_id == referral.id))
    ids = [
        s.peer_id for s in candidates.candidates_for(session, net.coordinator, referral.id, now=NOW)
    ]
    assert peer.id not in ids
    with pytest.raises(Conflict) as again:
        workflow.propose_match(
            session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
        )
    assert again.value.code == "declined_before"


def test_proposal_breaking_a_rule_is_refused_with_its_code_and_changes_nothing(session, net):
    referral = net.referral(peer_gender="female")
    peer = net.peer("LS6 3AA", gender="male")
    with pytest.raises(Conflict) as refused:
        workflow.propose_match(
            session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
        )
    assert refused.value.code == "peer_gender"
    assert referral.status == "waiting"


def test_a_full_peer_is_at_capacity(session, net):
    peer = net.peer("LS6 3AA", capacity=1)
    first, second = net.referral(), net.referral()
    workflow.propose_match(
        session, actor=net.coordinator, referral_id=first.id, peer_id=peer.id, now=NOW
    )
    with pytest.raises(Conflict) as full:
        workflow.propose_match(
            session, actor=net.coordinator, referral_id=second.id, peer_id=peer.id, now=NOW
        )
    assert full.value.code == "peer_at_capacity"
    assert "already supports 1 person" in full.value.message


def test_admin_of_another_organisation_cannot_propose(session, net):
    from tests.factories import AdminFactory

    referral = net.referral()
    peer = net.peer("LS6 3AA")
    with pytest.raises(NotFound):
        workflow.propose_match(
            session, actor=AdminFactory(), referral_id=referral.id, peer_id=peer.id, now=NOW
        )


def test_support_logged_by_the_peer_waits_for_the_person_and_never_charges_them(session, net):
    referral = net.referral()
    peer = net.peer("LS6 3AA")
    match = _through_to_introduction(session, net, referral, peer)
    exchange = workflow.log_support(
        session,
        actor=peer.member,
        match_id=match.id,
        minutes=90,
        occurred_on=london_date(NOW),
        description="Wrote the plan together",
        now=NOW,
    )
    assert exchange.status == "pending" and exchange.match_id == match.id
    assert exchange.receiver_account_id == organisation_account(session, net.organisation.id).id
    exchanges.confirm_exchange(session, actor=referral.member, exchange_id=exchange.id, now=NOW)
    assert exchange.status == "confirmed"
    assert member_account(session, peer.member).balance_minutes == 90
    assert member_account(session, referral.member).balance_minutes == 0


def test_support_logged_by_a_coordinator_is_confirmed_at_once(session, net):
    referral = net.referral()
    peer = net.peer("LS6 3AA")
    match = _through_to_introduction(session, net, referral, peer)
    exchange = workflow.log_support(
        session,
        actor=net.coordinator,
        match_id=match.id,
        minutes=30,
        occurred_on=london_date(NOW),
        description="",
        now=NOW,
    )
    assert exchange.status == "confirmed"


def test_support_before_the_introduction_is_out_of_order(session, net):
    referral = net.referral()
    peer = net.peer("LS6 3AA")
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    with pytest.raises(Conflict) as early:
        workflow.log_support(
            session,
            actor=peer.member,
            match_id=match.id,
            minutes=30,
            occurred_on=london_date(NOW),
            description="",
            now=NOW,
        )
    assert early.value.code == "invalid_transition"


def test_plan_counts_peer_support_on_matches_as_delivered_peer_minutes(session, net):
    person = net.person()
    plan = SignedOffSupportPlanFactory(
        member=person, coordinator=net.coordinator, signed_off_at=NOW - timedelta(days=5)
    )
    referral = net.referral(person=person)
    peer = net.peer("LS6 3AA")
    match = _through_to_introduction(session, net, referral, peer)
    workflow.log_support(
        session,
        actor=net.coordinator,
        match_id=match.id,
        minutes=45,
        occurred_on=london_date(NOW),
        description="",
        now=NOW,
    )
    assert plans.delivered_minutes(session, plan)["peer"] == 45


def test_peer_sees_no_name_before_the_introduction_and_contact_after(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    before = workflow.get_match_view(session, peer.member, match.id, now=NOW).body()
    assert set(before) == {"id", "status", "referral"}
    assert before["referral"]["postcode_district"] == "LS6"
    text = repr(before)
    assert (
        referral.member.name not in text
        and referral.member.email not in text
        and "LS6 2AB" not in text
    )
    workflow.accept_match(session, actor=peer.member, match_id=match.id, now=NOW)
    workflow.introduce_match(session, actor=net.coordinator, match_id=match.id, now=NOW)
    after = workflow.get_match_view(session, peer.member, match.id, now=NOW).body()
    assert after["person"] == {"name": referral.member.name, "email": referral.member.email}
    mine = workflow.get_match_view(session, referral.member, match.id, now=NOW).body()
    assert mine["peer"]["name"] == peer.member.name


def test_batch_proposes_within_capacity_and_rules(session, net):
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"], capacity=2, gender="female")
    net.peer("LS6 3AA", ["type_2_diabetes"], capacity=1, gender="male")
    referrals = [net.referral(codes=["multiple_sclerosis"], peer_gender="female") for _ in range(3)]
    planned = workflow.run_batch(session, net.coordinator, dry_run=True, now=NOW)
    assert all(r.status == "waiting" for r in referrals)
    assert planned.result.total_weight >= planned.greedy.total_weight
    chosen = {a.referral_id: a.peer_id for a in planned.result.assignments}
    # The male peer breaks the gender rule for all three; the other takes two.
    assert sorted(chosen.values()) == [peer.id, peer.id]
    workflow.run_batch(session, net.coordinator, dry_run=False, now=NOW)
    assert sorted(r.status for r in referrals) == ["proposed", "proposed", "waiting"]
