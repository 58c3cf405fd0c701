"""Batch assignment: optimal within capacities, never below greedy, only ever on candidate edges."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching.assignment import (
    Candidate,
    assign,
    edge_weight,
    greedy,
    wait_weight,
)


@st.composite
def instances(draw, max_referrals=6, max_peers=4):
    referrals = draw(st.integers(1, max_referrals))
    peers = draw(st.integers(1, max_peers))
    capacity = {p: draw(st.integers(0, 2)) for p in range(peers)}
    waits = {r: draw(st.integers(0, 400)) for r in range(referrals)}
    candidates = []
    for r in range(referrals):
        for p in draw(st.sets(st.integers(0, peers - 1), max_size=min(3, peers))):
            score = draw(st.floats(0, 1, allow_nan=False))
            candidates.append(Candidate(r, p, score))
    return candidates, capacity, waits


def brute_force(candidates, capacity, waits) -> int:
    by_referral: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_referral.setdefault(c.referral_id, []).append(c)
    options = [[None, *cs] for cs in by_referral.values()]
    best = 0
    for choice in itertools.product(*options):
        used = Counter(c.peer_id for c in choice if c)
        if all(used[p] <= capacity.get(p, 0) for p in used):
            best = max(best, sum(edge_weight(c.score, waits[c.referral_id]) for c in choice if c))
    return best


def check_feasible(result, candidates, capacity):
    edges = {(c.referral_id, c.peer_id) for c in candidates}
    referrals = [a.referral_id for a in result.assignments]
    assert len(referrals) == len(set(referrals)), "a referral placed twice"
    for peer_id, used in Counter(a.peer_id for a in result.assignments).items():
        assert used <= capacity[peer_id], "a peer over their spare capacity"
    for a in result.assignments:
        assert (a.referral_id, a.peer_id) in edges, "an assignment that was not a candidate"


@settings(max_examples=300, deadline=None)
@given(instances())
def test_optimum_equals_brute_force_on_small_instances(instance):
    assert assign(*instance).total_weight == brute_force(*instance)


@settings(max_examples=300, deadline=None)
@given(instances(max_referrals=25, max_peers=10))
def test_optimum_never_below_greedy_and_both_respect_capacity_and_candidates(instance):
    candidates, capacity, _ = instance
    best, baseline = assign(*instance), greedy(*instance)
    assert best.total_weight >= baseline.total_weight
    check_feasible(best, candidates, capacity)
    check_feasible(baseline, candidates, capacity)


def test_optimum_beats_greedy_where_best_pair_first_blocks_two_good_pairs():
    # Greedy gives peer A to referral 1 (0.9); the optimum gives A to 2 and B to 1.
    candidates = [Candidate(1, "A", 0.9), Candidate(1, "B", 0.8), Candidate(2, "A", 0.85)]
    capacity = {"A": 1, "B": 1}
    assert greedy(candidates, capacity, {}).total_score == 0.9
    optimum = assign(candidates, capacity, {})
    assert round(optimum.total_score, 6) == 1.65
    assert {(a.referral_id, a.peer_id) for a in optimum.assignments} == {(1, "B"), (2, "A")}


def test_longer_waits_weigh_more_up_to_six_months():
    assert wait_weight(0) == 1 and wait_weight(90) == 1.5
    assert wait_weight(180) == wait_weight(1000) == 2
    # One peer place, two equal fits: the one who has waited longer gets it.
    candidates = [Candidate(1, 10, 0.7), Candidate(2, 10, 0.7)]
    result = assign(candidates, {10: 1}, {1: 3, 2: 60})
    assert [a.referral_id for a in result.assignments] == [2]


def test_nothing_to_assign_and_no_spare_places_are_empty_batches():
    assert assign([], {}, {}).assignments == []
    assert assign([Candidate(1, 10, 0.5)], {10: 0}, {}).assignments == []
