"""The matching engine: every hard rule, the score's order, its reasons and the fallbacks."""

from __future__ import annotations

import math
import pickle
import random
from dataclasses import replace
from datetime import date

import pytest

from app.matching.engine import Listed, PeerFacts, ReferralFacts, Sentence, exclusions, rank, score

NAMES = {"type_2_diabetes": "Type 2 diabetes", "dementia": "Dementia", "copd": "COPD"}
LEEDS = (428_800, 433_400)


def referral(**changes) -> ReferralFacts:
    base = ReferralFacts(
        id=1,
        member_id=100,
        condition_codes=frozenset({"type_2_diabetes"}),
        condition_groups=frozenset({"Diabetes"}),
        postcode="LS6 2AB",
        centroid=LEEDS,
        support_types=frozenset({"support_planning"}),
        modes=frozenset({"in_person", "phone"}),
    )
    return replace(base, **changes)


def peer(**changes) -> PeerFacts:
    base = PeerFacts(
        id=10,
        member_id=200,
        first_name="Esther",
        gender="female",
        own_condition_codes=frozenset({"type_2_diabetes"}),
        own_condition_groups=frozenset({"Diabetes"}),
        support_types=frozenset({"talk", "support_planning"}),
        modes=frozenset({"in_person", "phone"}),
        capacity=2,
        travel_km=10,
        postcode="LS6 3XY",
        centroid=(LEEDS[0] + 1_800, LEEDS[1]),
        dbs_checked_on=date(2026, 1, 5),
    )
    return replace(base, **changes)


def codes(r: ReferralFacts, p: PeerFacts) -> list[str]:
    return [e.code for e in exclusions(r, p)]


def test_an_eligible_peer_has_no_exclusions():
    assert exclusions(referral(), peer()) == []


@pytest.mark.parametrize(
    ("peer_changes", "referral_changes", "code", "message"),
    [
        ({"approved": False}, {}, "peer_not_approved", "Esther has not been approved"),
        ({"paused": True}, {}, "peer_paused", "Esther has paused"),
        ({"live_matches": 2}, {}, "peer_at_capacity", "Esther already supports 2 people, her limit"),
        (
            {"dbs_checked_on": None},
            {"support_types": frozenset({"accompany"})},
            "dbs_required",
            "No DBS check on file for going with someone in person",
        ),
        ({"travel_km": 1}, {}, "too_far", "1.8 km away; Esther travels up to 1 km"),
        ({"languages": frozenset({"Urdu"})}, {"languages": frozenset({"Punjabi"})}, "language",
         "Esther does not speak Punjabi"),
        ({}, {"peer_gender": "male"}, "peer_gender", "They asked for a male peer; Esther is female"),
        ({"declined_referral_ids": frozenset({1})}, {}, "declined_before", "Esther declined"),
        ({"member_id": 100}, {}, "self_match", "own peer profile"),
    ],
)  # fmt: skip
def test_each_hard_rule_excludes_with_its_code_and_a_plain_message(
    peer_changes, referral_changes, code, message
):
    found = exclusions(referral(**referral_changes), peer(**peer_changes))
    assert [e.code for e in found] == [code]
    assert message in found[0].message


def test_every_broken_rule_is_listed_not_just_the_first():
    p = peer(approved=False, paused=True, live_matches=2, languages=frozenset())
    r = referral(languages=frozenset({"Punjabi"}))
    assert codes(r, p) == ["peer_not_approved", "peer_paused", "peer_at_capacity", "language"]


def test_dbs_and_distance_rules_only_apply_to_in_person_support():
    r = referral(modes=frozenset({"phone"}), support_types=frozenset({"practical"}))
    assert exclusions(r, peer(dbs_checked_on=None, travel_km=0)) == []
    # The peer does not meet in person, so the pairing cannot happen in person.
    r = referral(support_types=frozenset({"practical"}))
    assert exclusions(r, peer(dbs_checked_on=None, travel_km=0, modes=frozenset({"phone"}))) == []


def test_distance_rule_waits_for_a_known_distance():
    assert exclusions(referral(centroid=None), peer(travel_km=0)) == []


def test_language_and_gender_compare_without_case():
    r = referral(languages=frozenset({"punjabi"}), peer_gender="Female")
    assert exclusions(r, peer(languages=frozenset({"Punjabi", "English"}))) == []
    assert score(r, peer(languages=frozenset({"Punjabi"}))).reasons[-1] == "Speaks Punjabi"


def test_a_peer_with_no_gender_recorded_is_excluded_when_one_is_preferred():
    found = exclusions(referral(peer_gender="female"), peer(gender=None))
    assert found[0].code == "peer_gender" and "no gender recorded" in found[0].message


def test_reasons_name_the_condition_the_distance_and_the_support():
    scored = score(referral(), peer(), NAMES)
    assert scored.reasons == [
        "Both live with type 2 diabetes",
        "1.8 km away",
        "Offers help writing a support plan",
    ]
    assert scored.distance_km == 1.8
    assert 0 <= scored.score <= 1
    assert set(scored.parts) == {"condition", "locality", "support", "mode"}


def test_same_condition_beats_same_group_beats_any_condition_beats_none():
    ranked = [
        score(referral(), peer(own_condition_codes=frozenset({"type_2_diabetes"}))),
        score(referral(), peer(own_condition_codes=frozenset({"type_1_diabetes"}))),
        score(
            referral(),
            peer(
                own_condition_codes=frozenset({"copd"}), own_condition_groups=frozenset({"Lungs"})
            ),
        ),
        score(referral(), peer(own_condition_codes=frozenset(), own_condition_groups=frozenset())),
    ]
    values = [s.parts["condition"] for s in ranked]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4
    assert ranked[1].reasons[0] == "Lives with a related condition (Diabetes)"
    assert ranked[2].reasons[0] == "Has lived experience of a long-term condition"


def test_carer_experience_counts_for_carer_referrals_only():
    r = referral(condition_codes=frozenset({"dementia"}), condition_groups=frozenset({"Memory"}))
    carer = peer(
        own_condition_codes=frozenset(),
        own_condition_groups=frozenset(),
        carer_condition_codes=frozenset({"dementia"}),
        carer_condition_groups=frozenset({"Memory"}),
    )
    assert score(r, carer).parts["condition"] == 0
    as_carer = score(replace(r, is_carer=True), carer, NAMES)
    assert as_carer.parts["condition"] == 1.0
    assert as_carer.reasons[0] == "Also cares for someone with dementia"
    lives_with = peer(
        own_condition_codes=frozenset({"dementia"}), own_condition_groups=frozenset({"Memory"})
    )
    # For a carer, another carer fits best; someone who lives with it still counts.
    assert 0 < score(replace(r, is_carer=True), lives_with).parts["condition"] < 1.0


@pytest.mark.parametrize(
    ("peer_postcode", "reason", "value"),
    [
        ("LS6 2AB", "Same postcode", 1.0),
        ("LS6 2XY", "Same postcode sector, LS6 2", 0.8),
        ("LS6 4QT", "Same postcode district, LS6", 0.6),
        ("LS16 5AA", "Same postcode area, LS", 0.3),
        ("BT7 1NN", None, 0.0),
    ],
)
def test_without_centroids_locality_falls_back_to_the_postcode_hierarchy(
    peer_postcode, reason, value
):
    scored = score(referral(centroid=None), peer(postcode=peer_postcode, centroid=None))
    assert scored.distance_km is None
    assert scored.parts["locality"] == value
    assert (
        (reason in scored.reasons) if reason else not any("postcode" in r for r in scored.reasons)
    )


def test_phone_or_video_support_waives_locality():
    r = referral(modes=frozenset({"phone", "video"}))
    far = score(r, peer(centroid=(LEEDS[0] + 300_000, LEEDS[1]), travel_km=1))
    assert far.parts["locality"] == 1.0
    assert exclusions(r, peer(centroid=(LEEDS[0] + 300_000, LEEDS[1]), travel_km=1)) == []


def test_rank_leaves_out_rule_breakers_and_breaks_ties_by_distance_then_id():
    peers = [
        peer(id=3, member_id=3, centroid=(LEEDS[0] + 1_000, LEEDS[1])),
        peer(id=1, member_id=1, centroid=(LEEDS[0] + 1_000, LEEDS[1])),
        peer(id=2, member_id=2, paused=True),
    ]
    ranked = rank(referral(), peers, limit=10)
    assert [s.peer_id for s in ranked] == [1, 3]
    assert [s.peer_id for s in rank(referral(), peers, limit=1)] == [1]


def test_clearly_best_peer_comes_first_on_a_generated_network():
    """Each referral has one clearly best peer: same condition nearby. Distractors: the same
    condition further away, nearer but another condition, and rule-breakers nearer still."""
    rng = random.Random(13)
    conditions = [
        ("type_2_diabetes", "Diabetes"),
        ("copd", "Breathing"),
        ("dementia", "Memory"),
        ("depression", "Mental health"),
    ]
    breakers = [
        {"approved": False},
        {"paused": True},
        {"live_matches": 3, "capacity": 3},
        {"dbs_checked_on": None},
        {"languages": frozenset({"Welsh"})},
        {"gender": "male"},
        {"declined": True},
        {"self": True},
        {"travel_km": 0.1},
    ]
    for n in range(300):
        code, group = rng.choice(conditions)
        other_code, other_group = rng.choice([c for c in conditions if c[0] != code])
        home = (rng.randint(100_000, 600_000), rng.randint(100_000, 900_000))
        r = ReferralFacts(
            id=n,
            member_id=10_000 + n,
            condition_codes=frozenset({code}),
            condition_groups=frozenset({group}),
            postcode="LS6 2AB",
            centroid=home,
            support_types=frozenset({"support_planning", "accompany"}),
            modes=frozenset({"in_person"}),
            languages=frozenset({"English"}),
            peer_gender="female",
        )

        best_km = rng.uniform(1, 4)

        def place(km: float, home: tuple[int, int] = home) -> tuple[int, int]:
            return _at(home, km, rng.random())

        best = _network_peer(r, 1, place(best_km), (code, group))
        distractors = [
            _network_peer(r, 2, place(rng.uniform(best_km + 3, 25)), (code, group)),
            _network_peer(r, 3, place(rng.uniform(0, best_km * 0.5)), (other_code, other_group)),
            *(
                # Nearer than the best, but (for the too-far one) beyond its own travel.
                _network_peer(r, 10 + i, place(rng.uniform(0.3, best_km * 0.5)), (code, group), **b)
                for i, b in enumerate(breakers)
            ),
        ]
        pool = [best, *distractors]
        rng.shuffle(pool)
        ranked = rank(r, pool, limit=5)
        assert ranked[0].peer_id == 1, (n, ranked)
        assert {s.peer_id for s in ranked} == {1, 2, 3}


def _at(home: tuple[int, int], km: float, turn: float) -> tuple[int, int]:
    angle = turn * 2 * math.pi
    return (
        home[0] + round(km * 1000 * math.cos(angle)),
        home[1] + round(km * 1000 * math.sin(angle)),
    )


def _network_peer(
    r: ReferralFacts, pid: int, centroid, own: tuple[str, str], **changes
) -> PeerFacts:
    base = PeerFacts(
        id=pid,
        member_id=pid,
        first_name=f"Peer {pid}",
        own_condition_codes=frozenset({own[0]}),
        own_condition_groups=frozenset({own[1]}),
        support_types=frozenset({"support_planning", "accompany"}),
        modes=frozenset({"in_person"}),
        languages=frozenset({"English"}),
        gender="female",
        capacity=2,
        travel_km=30,
        dbs_checked_on=date(2026, 1, 1),
        postcode="LS6 2AB",
        centroid=centroid,
    )
    if changes.pop("declined", False):
        base = replace(base, declined_referral_ids=frozenset({r.id}))
    if changes.pop("self", False):
        base = replace(base, member_id=r.member_id)
    return replace(base, **changes)


def test_reasons_and_messages_remember_how_they_were_written_for_the_page():
    """Each is its English (what the API gives) and the message id and values a page says in the
    reader's language; the English is the message id with the values put in."""
    r = referral(languages=frozenset({"Punjabi", "Urdu"}), support_types=frozenset({"talk"}))
    p = peer(approved=False, live_matches=1, capacity=1, languages=frozenset({"English"}))
    said = [e.message for e in exclusions(r, p)] + score(r, peer(), NAMES).reasons
    assert said and all(isinstance(s, Sentence) for s in said)
    for sentence in said:
        english = {
            k: v.english() if isinstance(v, Listed) else v for k, v in sentence.values.items()
        }
        template = sentence.msgid if sentence.count in (None, 1) else sentence.plural
        assert sentence == template % english
        assert pickle.loads(pickle.dumps(sentence)) == sentence
    language = next(e.message for e in exclusions(r, p) if e.code == "language")
    assert language.values["languages"] == ("Punjabi", "Urdu")
    assert language.values["languages"].style == "or"
    capacity = next(e.message for e in exclusions(r, p) if e.code == "peer_at_capacity")
    assert capacity == "Esther already supports 1 person, her limit." and capacity.count == 1
