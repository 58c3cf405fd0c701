"""The engine's rank keys (``engine.best``, what the batch and the capped list order by) are
exactly those of scoring each peer in full: the same score to the last digit, the same distance,
and None exactly for the peers a hard rule excludes."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching import engine
from app.matching.engine import PeerFacts, ReferralFacts

CODES = {"type_2_diabetes": "Diabetes", "type_1_diabetes": "Diabetes", "copd": "Lungs"}
ORIGIN = (428_800, 433_400)

codes = st.frozensets(st.sampled_from(sorted(CODES)), max_size=2)
modes = st.frozensets(st.sampled_from(["in_person", "phone", "video"]), max_size=3)
support = st.frozensets(st.sampled_from(["talk", "support_planning", "accompany"]), max_size=3)
point = st.one_of(
    st.none(),
    st.tuples(st.integers(-30_000, 30_000), st.integers(-30_000, 30_000)).map(
        lambda d: (ORIGIN[0] + d[0], ORIGIN[1] + d[1])
    ),
)
postcode = st.sampled_from([None, "LS6 2AB", "LS6 2XY", "LS6 3AB", "LS7 1AA", "M1 1AA"])


def groups(found: frozenset[str]) -> frozenset[str]:
    return frozenset(CODES[code] for code in found)


@st.composite
def referrals(draw) -> ReferralFacts:
    mine = draw(codes)
    return ReferralFacts(
        id=1,
        member_id=100,
        condition_codes=mine,
        condition_groups=groups(mine),
        is_carer=draw(st.booleans()),
        postcode=draw(postcode),
        centroid=draw(point),
        support_types=draw(support),
        modes=draw(modes),
        languages=draw(st.sampled_from([frozenset(), frozenset({"Punjabi"})])),
        peer_gender=draw(st.sampled_from([None, "female"])),
    )


@st.composite
def peers(draw, peer_id: int) -> PeerFacts:
    own, carer = draw(codes), draw(codes)
    capacity = draw(st.integers(1, 2))
    return PeerFacts(
        id=peer_id,
        member_id=draw(st.sampled_from([100, 200 + peer_id])),
        own_condition_codes=own,
        own_condition_groups=groups(own),
        carer_condition_codes=carer,
        carer_condition_groups=groups(carer),
        support_types=draw(support),
        modes=draw(modes),
        languages=draw(st.sampled_from([frozenset({"English"}), frozenset({"punjabi "})])),
        gender=draw(st.sampled_from([None, "female", "Female", "male"])),
        capacity=capacity,
        live_matches=draw(st.integers(0, capacity)),
        travel_km=draw(st.sampled_from([3, 10, 50])),
        approved=draw(st.booleans()),
        paused=draw(st.booleans()),
        dbs_checked_on=draw(st.sampled_from([None, date(2026, 1, 5)])),
        postcode=draw(postcode),
        centroid=draw(point),
        declined_referral_ids=draw(st.sampled_from([frozenset(), frozenset({1})])),
    )


@settings(max_examples=300, deadline=None)
@given(referral=referrals(), data=st.data())
def test_rank_keys_are_the_full_scores_keys(referral, data):
    found = [data.draw(peers(peer_id)) for peer_id in range(1, 9)]
    eligible = [peer for peer in found if not engine.exclusions(referral, peer)]
    expected = sorted(engine.rank_key(engine.score(referral, peer)) for peer in eligible)
    assert [key for key, _ in engine.best(referral, found, None)] == expected
    for limit in (1, 3):
        best = engine.best(referral, found, limit)
        assert [key for key, _ in best] == expected[:limit]
        assert [s.peer_id for s in engine.rank(referral, found, limit)] == [
            peer.id for _, peer in best
        ]
