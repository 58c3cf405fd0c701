"""app.peers.profiles called directly: the DBS rule, approval, drafts, who sees a peer, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.peers import profiles
from app.peers.models import MemberCondition, PeerProfile
from app.peers.profiles import PeerDetails
from tests.factories import ApprovedPeerProfileFactory, PeerProfileFactory
from tests.integration.conftest import NOW, actions, audit_trail

IN_PERSON_PRACTICAL = {"support_types": ["talk", "practical"], "modes": ["in_person"]}


def create(session, people, *, approve, actor=None, codes=(), consent=True, **details):
    return profiles.create_peer(
        session,
        actor=actor or people.coordinator,
        member_id=people.person.id,
        details=PeerDetails(**{"support_types": ["talk"], "modes": ["phone"], **details}),
        condition_codes=list(codes),
        carer_condition_codes=[],
        consent_given=consent,
        approve=approve,
        now=NOW,
    )


def peers(session) -> int:
    return session.scalar(select(func.count()).select_from(PeerProfile))


@pytest.mark.parametrize(
    ("support_types", "modes", "needed"),
    [
        (["accompany"], ["in_person"], True),
        (["talk", "practical"], ["phone", "in_person"], True),
        (["practical"], ["phone", "video"], False),
        (["talk", "support_planning"], ["in_person"], False),
    ],
)
def test_dbs_is_needed_for_in_person_accompanying_or_practical_support(
    support_types, modes, needed
):
    assert profiles.needs_dbs(support_types, modes) is needed


def test_approving_in_person_practical_support_without_a_dbs_check_is_refused(session, people):
    with pytest.raises(ValidationFailed) as caught:
        create(session, people, approve=True, **IN_PERSON_PRACTICAL)
    assert set(caught.value.fields) == {"dbs_checked_on"}
    assert peers(session) == 0


def test_with_a_dbs_date_the_peer_is_approved_by_the_coordinator(session, people):
    profile = create(
        session, people, approve=True, dbs_checked_on=date(2025, 6, 1), **IN_PERSON_PRACTICAL
    )
    assert profile.approved and profile.approved_at == NOW
    assert profile.approved_by_id == people.coordinator.id
    assert profile.organisation_id == people.person.organisation_id
    assert audit_trail(session, people.person) == [("peer.created", people.coordinator.id)]


def test_a_dbs_date_in_the_future_is_refused(session, people):
    # NOW is 23:30 UTC on 14 July: 15 July in London is today, 16 July is the future.
    create(session, people, approve=False, dbs_checked_on=date(2025, 7, 15))
    with pytest.raises(ValidationFailed) as caught:
        profiles.create_peer(
            session,
            actor=people.coordinator,
            member_id=people.other.id,
            details=PeerDetails(
                support_types=["talk"], modes=["phone"], dbs_checked_on=date(2025, 7, 16)
            ),
            condition_codes=[],
            carer_condition_codes=[],
            consent_given=None,
            approve=False,
            now=NOW,
        )
    assert set(caught.value.fields) == {"dbs_checked_on"}


def test_a_draft_may_wait_for_its_dbs_check_but_cannot_be_approved_without_it(session, people):
    draft = create(session, people, approve=False, **IN_PERSON_PRACTICAL)
    assert not draft.approved
    with pytest.raises(ValidationFailed) as caught:
        profiles.approve_peer(session, actor=people.coordinator, peer_id=draft.id, now=NOW)
    assert "dbs_checked_on" in caught.value.fields
    assert session.get(PeerProfile, draft.id).approved_at is None
    profiles.update_peer(
        session,
        actor=people.coordinator,
        peer_id=draft.id,
        details=PeerDetails(**IN_PERSON_PRACTICAL, dbs_checked_on=date(2025, 7, 1)),
        now=NOW,
    )
    approved = profiles.approve_peer(session, actor=people.coordinator, peer_id=draft.id, now=NOW)
    assert approved.approved
    with pytest.raises(Conflict) as caught:
        profiles.approve_peer(session, actor=people.coordinator, peer_id=draft.id, now=NOW)
    assert caught.value.code == "already_approved"
    assert {"peer.created", "peer.changed", "peer.approved"} <= set(actions(session, people.person))


def test_an_approved_peer_cannot_drop_the_dbs_check_it_relies_on(session, people):
    peer = ApprovedPeerProfileFactory(member=people.person)
    with pytest.raises(ValidationFailed) as caught:
        profiles.update_peer(
            session,
            actor=people.coordinator,
            peer_id=peer.id,
            details=PeerDetails(support_types=["accompany"], modes=["in_person"]),
            now=NOW,
        )
    assert set(caught.value.fields) == {"dbs_checked_on"}


def test_a_peers_conditions_need_consent_and_nothing_is_saved_without_it(session, people):
    with pytest.raises(ValidationFailed) as caught:
        create(session, people, approve=False, codes=people.codes[:1], consent=None)
    assert caught.value.code == "consent_required"
    assert peers(session) == 0
    assert session.scalar(select(func.count()).select_from(MemberCondition)) == 0
    create(session, people, approve=False, codes=people.codes[:1], consent=True)
    assert session.scalar(select(MemberCondition.condition_code)) == people.codes[0]


def test_only_coordinators_of_the_persons_organisation_add_peers(session, people):
    with pytest.raises(Forbidden):
        create(session, people, approve=False, actor=people.other)
    with pytest.raises(ValidationFailed) as caught:
        create(session, people, approve=False, actor=people.outsider)
    assert set(caught.value.fields) == {"member_id"}
    assert peers(session) == 0


def test_one_profile_a_person_but_a_sign_off_draft_is_filled_in(session, people):
    draft = profiles.create_draft_from_sign_off(
        session, actor=people.coordinator, person=people.person, now=NOW
    )
    assert draft.source == "sign_off" and not draft.approved
    again = profiles.create_draft_from_sign_off(
        session, actor=people.coordinator, person=people.person, now=NOW
    )
    assert again.id == draft.id
    filled = create(session, people, approve=True)
    assert filled.id == draft.id and filled.approved and filled.support_types == ["talk"]
    with pytest.raises(Conflict) as caught:
        create(session, people, approve=False)
    assert caught.value.code == "peer_exists"
    assert peers(session) == 1


def test_the_peer_and_their_coordinators_see_the_profile_and_the_view_is_audited(session, people):
    peer = PeerProfileFactory(member=people.person)
    for viewer in (people.person, people.coordinator):
        assert profiles.get_peer_for(session, viewer, peer.id, now=NOW).id == peer.id
    assert audit_trail(session, people.person) == [
        ("peer.viewed", people.person.id),
        ("peer.viewed", people.coordinator.id),
    ]


@pytest.mark.parametrize("who", ["other", "outsider"])
def test_nobody_else_finds_the_profile(session, people, who):
    peer = PeerProfileFactory(member=people.person)
    actor = getattr(people, who)
    with pytest.raises(NotFound):
        profiles.get_peer_for(session, actor, peer.id, now=NOW)
    with pytest.raises(NotFound):
        profiles.approve_peer(session, actor=actor, peer_id=peer.id, now=NOW)
    with pytest.raises(NotFound):
        profiles.set_paused(session, actor=actor, peer_id=peer.id, paused=True, now=NOW)
    assert actions(session, people.person) == []


def test_a_peer_pauses_themselves_but_only_a_coordinator_changes_their_checks(session, people):
    peer = ApprovedPeerProfileFactory(member=people.person)
    profiles.set_paused(session, actor=people.person, peer_id=peer.id, paused=True, now=NOW)
    assert peer.paused
    with pytest.raises(Forbidden):
        profiles.update_peer(
            session,
            actor=people.person,
            peer_id=peer.id,
            details=PeerDetails(support_types=["talk"], modes=["phone"]),
            now=NOW,
        )
    with pytest.raises(Forbidden):
        profiles.approve_peer(session, actor=people.person, peer_id=peer.id, now=NOW)
    assert "peer.paused" in actions(session, people.person)


def test_the_peer_list_is_the_coordinators_own_organisation(session, people):
    draft = PeerProfileFactory(member=people.person)
    approved = ApprovedPeerProfileFactory(member=people.other)
    PeerProfileFactory()  # another organisation's
    listed = lambda **kw: session.scalars(profiles.peers_query(people.coordinator, **kw)).all()  # noqa: E731
    assert [p.id for p in listed()] == [draft.id, approved.id]
    assert [p.id for p in listed(approved=True)] == [approved.id]
    assert [p.id for p in listed(approved=False)] == [draft.id]
    with pytest.raises(Forbidden):
        profiles.peers_query(people.person)
    profiles.record_peers_listed(session, actor=people.coordinator, shown=listed(), now=NOW)
    assert actions(session, people.person) == ["peer.listed"]
    assert actions(session, people.other) == ["peer.listed"]
