"""The capped candidate list (``candidates.top_candidates``) is exactly the list of scoring every
peer the prefilter keeps, whatever the cap: with caps of 1 and 2 every tier's boundary is crossed
(ties on score and distance included: several peers share each postcode)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching import candidates, engine
from tests.factories import MatchFactory
from tests.integration.conftest import NOW
from tests.matching_network import network, place

CODES = ["multiple_sclerosis", "parkinsons", "type_2_diabetes"]

peer_strategy = st.fixed_dictionaries(
    {
        "km": st.sampled_from([0, 0.5, 0.5, 2, 4, 7, 12, 30]),
        "codes": st.lists(st.sampled_from(CODES), max_size=2, unique=True),
        "capacity": st.integers(1, 2),
        "taken": st.integers(0, 1),
        "support_types": st.lists(
            st.sampled_from(["talk", "accompany"]), min_size=1, max_size=2, unique=True
        ),
        "modes": st.lists(
            st.sampled_from(["in_person", "phone"]), min_size=1, max_size=2, unique=True
        ),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    codes=st.lists(st.sampled_from(CODES), max_size=1),
    modes=st.sampled_from([["in_person"], ["phone"], ["in_person", "phone"]]),
    peer_specs=st.lists(peer_strategy, min_size=1, max_size=8),
    cap=st.sampled_from([1, 2]),
    limit=st.integers(1, 4),
)
def test_the_capped_list_is_the_list_of_scoring_everyone(
    session, monkeypatch, codes, modes, peer_specs, cap, limit
):
    net = network()
    home = place(None, 0)
    referral = net.referral(postcode=home, codes=codes, support_types=["talk"], modes=modes)
    spots = {}
    for spec in peer_specs:
        postcode = spots.setdefault(spec["km"], place(None, spec["km"]))
        peer = net.peer(
            postcode,
            spec["codes"],
            capacity=spec["capacity"],
            support_types=spec["support_types"],
            modes=spec["modes"],
            travel_km=50,
        )
        for _ in range(spec["taken"]):
            MatchFactory(referral=net.referral(), peer=peer)
    facts = candidates.referral_facts(session, referral, NOW)
    peers = candidates.candidate_peers(session, referral, facts)
    everyone = engine.rank(facts, peers, limit, candidates.names_for(session, facts))
    monkeypatch.setattr(candidates, "CAP", cap)
    capped = candidates.candidates_for(session, net.coordinator, referral.id, limit, now=NOW)
    assert capped == everyone
    # The batch's in-memory list over the same (considered) peers is the same list too.
    pool = candidates.batch_pool(session, referral.organisation_id)
    assert pool.ranked(facts, limit) == engine.rank(facts, pool.considered(facts), limit)
