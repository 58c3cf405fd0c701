"""Properties of matching on generated networks, through the real queries and services.

The hard rules are checked here from the generated facts themselves (not by asking the engine
again), so a candidate query, a proposal or a batch that let a rule-breaker through fails.
"""

from __future__ import annotations

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.errors import Conflict
from app.matching import candidates, workflow
from app.matching.models import LIVE_MATCH_STATUSES, Match
from tests.factories import DeclinedPairFactory, MatchFactory
from tests.integration.conftest import NOW
from tests.matching_network import network, place

CODES = ["multiple_sclerosis", "parkinsons", "type_2_diabetes"]

peer_strategy = st.fixed_dictionaries(
    {
        "km": st.floats(0, 30),
        "codes": st.lists(st.sampled_from(CODES), max_size=2, unique=True),
        "paused": st.booleans(),
        "capacity": st.integers(1, 2),
        "taken": st.integers(0, 2),
        "dbs": st.booleans(),
        "travel_km": st.integers(0, 20),
        "gender": st.sampled_from([None, "female", "male"]),
        "languages": st.lists(
            st.sampled_from(["English", "Punjabi", "Urdu"]), max_size=2, unique=True
        ),
        "modes": st.lists(
            st.sampled_from(["in_person", "phone", "video"]), min_size=1, max_size=3, unique=True
        ),
        "declined": st.booleans(),
    }
)
referral_strategy = st.fixed_dictionaries(
    {
        "codes": st.lists(st.sampled_from(CODES), max_size=1),
        "support_types": st.lists(
            st.sampled_from(["talk", "accompany", "practical"]), min_size=1, max_size=2, unique=True
        ),
        "modes": st.lists(
            st.sampled_from(["in_person", "phone"]), min_size=1, max_size=2, unique=True
        ),
        "languages": st.lists(st.sampled_from(["Punjabi", "Urdu"]), max_size=1),
        "peer_gender": st.sampled_from([None, "female"]),
    }
)


def broken_rules(referral: dict, peer: dict, live: int) -> set[str]:
    """API.md's hard rules, written out again from the generated facts."""
    broken = set()
    if peer["paused"]:
        broken.add("peer_paused")
    if live >= peer["capacity"]:
        broken.add("peer_at_capacity")
    in_person = "in_person" in referral["modes"] and "in_person" in peer["modes"]
    if (
        in_person
        and {"accompany", "practical"} & set(referral["support_types"])
        and not peer["dbs"]
    ):
        broken.add("dbs_required")
    if in_person and round(peer["km"] * 1000) > peer["travel_km"] * 1000:  # as placed, in metres
        broken.add("too_far")
    if referral["languages"] and not set(referral["languages"]) & set(peer["languages"]):
        broken.add("language")
    if referral["peer_gender"] and referral["peer_gender"] != peer["gender"]:
        broken.add("peer_gender")
    if peer["declined"]:
        broken.add("declined_before")
    return broken


def build(net, referral_spec, peer_specs):
    home = place(None, 0)
    referral = net.referral(postcode=home, **referral_spec)
    peers = []
    for spec in peer_specs:
        postcode = place(None, spec["km"])
        peer = net.peer(
            postcode,
            spec["codes"],
            paused=spec["paused"],
            capacity=spec["capacity"],
            dbs_checked_on=None if not spec["dbs"] else NOW.date(),
            travel_km=spec["travel_km"],
            gender=spec["gender"],
            languages=spec["languages"],
            modes=spec["modes"],
        )
        for _ in range(spec["taken"]):
            MatchFactory(referral=net.referral(), peer=peer)
        if spec["declined"]:
            DeclinedPairFactory(
                match=MatchFactory(
                    referral=referral,
                    peer=peer,
                    status="declined",
                    declined_at=NOW,
                    decline_reason="No",
                )
            )
        peers.append(peer)
    return referral, peers, home


def live_count(session, peer) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.peer_profile_id == peer.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(referral_spec=referral_strategy, peer_specs=st.lists(peer_strategy, min_size=1, max_size=6))
def test_every_hard_rule_holds_in_every_candidate_list_and_proposal(
    session, referral_spec, peer_specs
):
    net = network()
    referral, peers, _home = build(net, referral_spec, peer_specs)
    found = candidates.candidates_for(session, net.coordinator, referral.id, None, now=NOW)
    # The batch considers exactly the peers the candidate query does.
    facts = candidates.referral_facts(session, referral, NOW)
    queried = {p.id for p in candidates.candidate_peers(session, referral, facts)}
    pooled = candidates.batch_pool(session, referral.organisation_id).considered(facts)
    assert {p.id for p in pooled} == queried
    for scored in found:
        index = next(i for i, p in enumerate(peers) if p.id == scored.peer_id)
        assert not broken_rules(referral_spec, peer_specs[index], live_count(session, peers[index]))
    for peer, spec in zip(peers, peer_specs, strict=True):
        why = candidates.why_not(session, net.coordinator, referral.id, peer.id, now=NOW)
        expected = broken_rules(referral_spec, spec, live_count(session, peer))
        assert {e.code for e in why.excluded_by} == expected
    # Proposals: each peer in turn; only a peer breaking no rule may be proposed.
    for peer, spec in zip(peers, peer_specs, strict=True):
        expected = broken_rules(referral_spec, spec, live_count(session, peer))
        savepoint = session.begin_nested()
        try:
            workflow.propose_match(
                session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
            )
            assert not expected
        except Conflict as refused:
            assert refused.code in expected
        savepoint.rollback()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    referral_specs=st.lists(referral_strategy, min_size=1, max_size=4),
    peer_specs=st.lists(peer_strategy, min_size=1, max_size=5),
)
def test_every_hard_rule_holds_in_every_batch(session, referral_specs, peer_specs):
    net = network()
    referral, peers, home = build(
        net, referral_specs[0], [dict(s, declined=False) for s in peer_specs]
    )
    others = [net.referral(postcode=home, **spec) for spec in referral_specs[1:]]
    specs = {
        referral.id: referral_specs[0],
        **{r.id: s for r, s in zip(others, referral_specs[1:], strict=True)},
    }
    before = {peer.id: live_count(session, peer) for peer in peers}
    planned = workflow.plan_batch(session, net.coordinator, now=NOW)
    assert planned.result.total_weight >= planned.greedy.total_weight
    per_peer: dict[int, int] = {}
    for a in planned.result.assignments:
        per_peer[a.peer_id] = per_peer.get(a.peer_id, 0) + 1
        index = next(i for i, p in enumerate(peers) if p.id == a.peer_id)
        spec = dict(peer_specs[index], declined=False)  # every referral lives at ``home``
        assert not broken_rules(specs[a.referral_id], spec, before[a.peer_id])
    for peer_id, count in per_peer.items():
        index = next(i for i, p in enumerate(peers) if p.id == peer_id)
        assert before[peer_id] + count <= peer_specs[index]["capacity"]


def test_the_clearly_best_peer_comes_first_every_time(session):
    """Each referral, in its own town, has one clearly best peer among distractors: the same
    condition further away, nearer but another condition, and rule-breakers nearer still."""
    rng = random.Random(13)
    net = network()
    for town in range(12):
        east, north = town % 4 * 60, town // 4 * 60  # towns 60 km apart
        condition = rng.choice(CODES)
        other = rng.choice(
            [
                c
                for c in CODES
                if c != condition and not ({c, condition} <= {"multiple_sclerosis", "parkinsons"})
            ]
            or ["type_2_diabetes"]
        )
        d = rng.uniform(0.5, 3)
        home = place(None, east, north)
        referral = net.referral(
            postcode=home,
            codes=[condition],
            support_types=["talk", "accompany"],
            modes=["in_person"],
            peer_gender="female",
        )
        best = net.peer(place(None, east + d, north), [condition], gender="female")
        net.peer(place(None, east + d * 2 + 1, north), [condition], gender="female")
        net.peer(place(None, east + d / 3, north), [other], gender="female")
        near = d / 4
        net.peer(place(None, east + near, north), [condition], gender="female", paused=True)
        net.peer(place(None, east + near, north), [condition], gender="male")
        net.peer(
            place(None, east + near, north),
            [condition],
            gender="female",
            dbs_checked_on=None,
        )
        full = net.peer(place(None, east + near, north), [condition], gender="female", capacity=1)
        MatchFactory(referral=net.referral(), peer=full)
        found = candidates.candidates_for(session, net.coordinator, referral.id, 10, now=NOW)
        assert found and found[0].peer_id == best.id, (town, found)
        assert math.isclose(found[0].distance_km, d, abs_tol=0.01)
