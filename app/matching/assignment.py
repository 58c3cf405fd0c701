"""Batch assignment: the whole waiting queue to peers, as well as it can be done at once.

Pure: candidate edges in, assignments out. The candidates come from the engine, so every edge
already satisfies the hard rules; this module only chooses among them, within each peer's spare
capacity, and never invents an edge.

What is maximised is the total *weight*: each edge's score × a wait weight,
``1 + min(waited_days, 180) / 180`` — a referral waiting six months or more counts double one
referred today, so a long wait tips close calls without letting a poor fit beat a good one by
much. Weights are held as integers (millionths: ``round(score × wait weight × 10**6)``): the
solver needs positive integers, and the optimum and greedy are compared on exactly the same
numbers.

``assign`` is the true optimum over the candidate sets: a sparse rectangular matrix of referrals ×
peer places (a peer with two spare places is two columns, holding only that peer's candidate
edges), plus one "leave unassigned" column per referral with the smallest weight, solved by
SciPy's ``min_weight_full_bipartite_matching`` (maximising). The extra columns keep every
referral placeable, so the solver never fails when some cannot be matched; because each referral
takes exactly one column, adding 1 to every weight (so that none is a stored zero, which would be
no edge) does not change which assignment is best. ``greedy`` (best pair first) is the baseline
the optimum never loses to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WAIT_CAP_DAYS = 180
UNITS = 1_000_000


@dataclass(frozen=True)
class Candidate:
    referral_id: int
    peer_id: int
    score: float


@dataclass(frozen=True)
class Assignment:
    referral_id: int
    peer_id: int
    score: float
    weight: int  # millionths of score × wait weight


@dataclass(frozen=True)
class BatchResult:
    assignments: list[Assignment]

    @property
    def total_weight(self) -> int:
        return sum(a.weight for a in self.assignments)

    @property
    def total_score(self) -> float:
        """The weighted total the batch maximises, as a number like the scores (weight / 10**6)."""
        return self.total_weight / UNITS


def wait_weight(waited_days: int) -> float:
    return 1 + min(max(waited_days, 0), WAIT_CAP_DAYS) / WAIT_CAP_DAYS


def edge_weight(score: float, waited_days: int) -> int:
    return round(max(score, 0.0) * wait_weight(waited_days) * UNITS)


def _edges(
    candidates: Iterable[Candidate],
    spare_capacity: Mapping[int, int],
    waited_days: Mapping[int, int],
) -> dict[tuple[int, int], Assignment]:
    """One edge per (referral, peer), the best if repeated; none to a peer with no spare place."""
    edges: dict[tuple[int, int], Assignment] = {}
    for c in candidates:
        if spare_capacity.get(c.peer_id, 0) <= 0:
            continue
        weight = edge_weight(c.score, waited_days.get(c.referral_id, 0))
        if weight <= 0:
            continue  # adds nothing to the total: leaving the referral waiting is as good
        key = (c.referral_id, c.peer_id)
        if key not in edges or weight > edges[key].weight:
            edges[key] = Assignment(c.referral_id, c.peer_id, c.score, weight)
    return edges


def _sorted(assignments: Iterable[Assignment]) -> list[Assignment]:
    return sorted(assignments, key=lambda a: (a.referral_id, a.peer_id))


def assign(
    candidates: Iterable[Candidate],
    spare_capacity: Mapping[int, int],
    waited_days: Mapping[int, int],
) -> BatchResult:
    """The assignment with the greatest total weight that fits every peer's spare capacity."""
    edges = _edges(candidates, spare_capacity, waited_days)
    if not edges:
        return BatchResult([])
    referrals = sorted({r for r, _ in edges})
    row_of = {r: i for i, r in enumerate(referrals)}
    by_peer: dict[int, list[Assignment]] = {}
    for edge in edges.values():
        by_peer.setdefault(edge.peer_id, []).append(edge)

    rows: list[int] = []
    cols: list[int] = []
    data: list[int] = []
    slot_peer: list[int] = []
    for peer_id in sorted(by_peer):
        peer_edges = by_peer[peer_id]
        # More places than candidate referrals would only be empty columns.
        for _ in range(min(spare_capacity[peer_id], len(peer_edges))):
            column = len(slot_peer)
            slot_peer.append(peer_id)
            for edge in peer_edges:
                rows.append(row_of[edge.referral_id])
                cols.append(column)
                data.append(edge.weight + 1)
    leave = len(slot_peer)
    for i in range(len(referrals)):
        rows.append(i)
        cols.append(leave + i)
        data.append(1)  # "leave unassigned": the smallest weight there is
    # Imported here, not at the top: NumPy and SciPy take longer to import than the rest of the
    # app, and only the batch needs them (the app's start-up, the scheduler and the CLI do not).
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    matrix = csr_matrix(
        (np.array(data, dtype=np.int64), (np.array(rows), np.array(cols))),
        shape=(len(referrals), leave + len(referrals)),
    )
    row_index, col_index = min_weight_full_bipartite_matching(matrix, maximize=True)
    chosen = []
    for i, column in zip(row_index.tolist(), col_index.tolist(), strict=True):
        if column < leave:
            chosen.append(edges[(referrals[i], slot_peer[column])])
    return BatchResult(_sorted(chosen))


def greedy(
    candidates: Iterable[Candidate],
    spare_capacity: Mapping[int, int],
    waited_days: Mapping[int, int],
) -> BatchResult:
    """Best pair first: the baseline. Ties go to the lower referral id, then peer id."""
    edges = _edges(candidates, spare_capacity, waited_days)
    left = dict(spare_capacity)
    placed: set[int] = set()
    chosen = []
    for edge in sorted(edges.values(), key=lambda e: (-e.weight, e.referral_id, e.peer_id)):
        if edge.referral_id in placed or left.get(edge.peer_id, 0) <= 0:
            continue
        placed.add(edge.referral_id)
        left[edge.peer_id] -= 1
        chosen.append(edge)
    return BatchResult(_sorted(chosen))
