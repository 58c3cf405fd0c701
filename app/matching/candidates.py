"""Whom to score: the indexed queries that choose a referral's candidate peers and build the
engine's facts about them. The engine (``engine.py``) decides; this module only reads.

A candidate query starts from the organisation's *matchable* peers (approved, not paused: the
partial index ``ix_peer_profile_matchable``), joins each to its member (primary key) and the
member's unit postcode centroid (primary key), and keeps a peer when

- they live with (or care for someone with) one of the referral's conditions, anywhere; or
- they share a condition group with the referral (an ``EXISTS`` on ``member_condition`` by
  member, joined to ``condition`` by code) and live within ``LOCALITY_BOX_KM`` (25 km) on both
  axes of the National Grid — or anywhere, when the support is by phone or video only or the
  referral has no centroid; or
- they live within ``NEAR_KM`` (5 km), whatever their condition; or
- their postcode has no unit centroid and they share a group, or are in the referral's
  district (a range on the indexed ``user_account.postcode``).

Why these: a peer of another condition group further than 5 km scores at most about 0.55, and
one of the same group within 25 km scores more unless the support they offer differs; peers
outside both are rarely worth a coordinator's look, and scoring every peer of a large
organisation costs more than the query. "Why not?" and proposals score any peer asked about.
With neither a condition group nor any locality to go on, every matchable peer is scored.
A peer's live matches are counted for all candidates in one grouped query, never per peer.

The batch (``batch_pool``) loads the same facts once for the whole organisation and applies the
same prefilter in memory, so a batch and a candidate list agree on who is considered.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ARRAY, Select, and_, any_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..errors import NotFound
from ..peers.models import (
    Condition,
    MemberCondition,
    PeerLanguage,
    PeerMode,
    PeerProfile,
    PeerSupportType,
    Referral,
)
from ..peers.referrals import days_waiting
from ..postcodes import InvalidPostcode, district, normalise_postcode
from ..wording import N_
from . import engine
from .engine import Exclusion, PeerFacts, ReferralFacts, Scored
from .geo import centroids_for
from .models import LIVE_MATCH_STATUSES, DeclinedPair, Match, PostcodeCentroid
from .permissions import can_match

LOCALITY_BOX_KM = 25
NEAR_KM = 5
BATCH_CANDIDATES = 50


@dataclass(frozen=True)
class WhyNot:
    peer_id: int
    eligible: bool
    scored: Scored | None = None
    excluded_by: list[Exclusion] = field(default_factory=list)


def _clean_postcode(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalise_postcode(raw)
    except InvalidPostcode:
        return None


def _among(session: Session, column, values: Iterable):
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``, one parameter however many
    values: rendering and parsing hundreds of bound parameters a query was a quarter of a
    candidate list's time, and the statement's text is then the same each time."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


# --- the referral ------------------------------------------------------------------------------


def get_referral_for_matching(session: Session, actor: User, referral_id: int) -> Referral:
    """The referral, for a coordinator of its organisation (admins: their own only), or 404."""
    referral = session.get(Referral, referral_id)
    if referral is None or not can_match(actor, referral.organisation_id):
        raise NotFound(N_("We could not find that referral."))
    return referral


def _conditions_by_member(
    session: Session, member_ids: Iterable[int] | Select
) -> dict[int, list[tuple[str, str, str]]]:
    """(code, group, relationship) for each member: one query."""
    ids = member_ids if isinstance(member_ids, Select) else list(member_ids)
    found: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    if not isinstance(ids, Select) and not ids:
        return found
    rows = session.execute(
        select(
            MemberCondition.member_id,
            MemberCondition.condition_code,
            Condition.group,
            MemberCondition.relationship_kind,
        )
        .join(Condition, Condition.code == MemberCondition.condition_code)
        .where(
            MemberCondition.member_id.in_(ids)
            if isinstance(ids, Select)
            else _among(session, MemberCondition.member_id, ids)
        )
    )
    for member_id, code, group, kind in rows:
        found[member_id].append((code, group, kind))
    return found


def _referral_facts(
    referral: Referral,
    conditions: list[tuple[str, str, str]],
    centroid: tuple[int, int] | None,
    now: datetime,
) -> ReferralFacts:
    kind = "carer" if referral.is_carer else "own"
    mine = [(code, group) for code, group, k in conditions if k == kind]
    return ReferralFacts(
        id=referral.id,
        member_id=referral.member_id,
        condition_codes=frozenset(code for code, _ in mine),
        condition_groups=frozenset(group for _, group in mine),
        is_carer=referral.is_carer,
        postcode=_clean_postcode(referral.postcode),
        centroid=centroid,
        support_types=frozenset(referral.support_types or []),
        modes=frozenset(referral.modes or []),
        languages=frozenset(referral.languages or []),
        peer_gender=referral.peer_gender,
        waited_days=days_waiting(referral, now),
    )


def referral_facts(session: Session, referral: Referral, now: datetime) -> ReferralFacts:
    conditions = _conditions_by_member(session, [referral.member_id]).get(referral.member_id, [])
    postcode = _clean_postcode(referral.postcode)
    hit = centroids_for(session, [postcode]).get(postcode) if postcode else None
    return _referral_facts(referral, conditions, hit.point if hit else None, now)


def condition_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(Condition.code, Condition.name).where(Condition.code.in_(wanted))
        ).all()
    )


# --- peers ---------------------------------------------------------------------------------------


def _peer_rows_statement(organisation_id: int) -> Select:
    """Plain columns, not entities: a candidate list reads a thousand peers, and building ORM
    objects for them costs more than the query."""
    return (
        select(
            PeerProfile.id,
            PeerProfile.member_id,
            PeerProfile.gender,
            PeerProfile.capacity,
            PeerProfile.travel_km,
            PeerProfile.approved_at,
            PeerProfile.paused,
            PeerProfile.dbs_checked_on,
            User.name,
            User.postcode,
            PostcodeCentroid.easting,
            PostcodeCentroid.northing,
        )
        .join(User, User.id == PeerProfile.member_id)
        .outerjoin(PostcodeCentroid, PostcodeCentroid.postcode == User.postcode)
        .where(PeerProfile.organisation_id == organisation_id)
    )


def _matchable(statement: Select) -> Select:
    return statement.where(PeerProfile.approved_at.is_not(None), PeerProfile.paused.is_(False))


def _box(
    facts: ReferralFacts,
    km: float,
    easting=PostcodeCentroid.easting,
    northing=PostcodeCentroid.northing,
):
    e, n = facts.centroid
    metres = round(km * 1000)
    return and_(
        easting.between(e - metres, e + metres),
        northing.between(n - metres, n + metres),
    )


def _shares(facts: ReferralFacts, *, codes: bool):
    """EXISTS a condition of the peer's in the referral's codes (or groups)."""
    wanted = facts.condition_codes if codes else facts.condition_groups
    if not wanted:
        return None
    column = Condition.code if codes else Condition.group
    return (
        exists()
        .where(
            MemberCondition.member_id == PeerProfile.member_id,
            Condition.code == MemberCondition.condition_code,
            column.in_(sorted(wanted)),
        )
        .correlate(PeerProfile)
    )


def _prefilter(statement: Select, facts: ReferralFacts) -> Select:
    """Keep the peers worth scoring (see the module docstring)."""
    same_condition = _shares(facts, codes=True)
    same_group = _shares(facts, codes=False)
    locality = not engine.remote_only(facts)
    keep = [same_condition] if same_condition is not None else []
    if locality and facts.centroid is not None:
        wide = _box(facts, LOCALITY_BOX_KM)
        keep.append(and_(wide, same_group) if same_group is not None else wide)
        keep.append(_box(facts, NEAR_KM))
        # A peer whose postcode has no unit centroid: by group, or by district.
        unplaced = [same_group] if same_group is not None else []
    elif same_group is not None:
        keep.append(same_group)
        unplaced = []
    else:
        unplaced = []
    if locality and facts.postcode:
        prefix = district(facts.postcode) + " "
        unplaced.append(User.postcode.between(prefix, prefix + "~"))
    if unplaced:
        keep.append(and_(PostcodeCentroid.easting.is_(None), or_(*unplaced)))
    return statement.where(or_(*keep)) if keep else statement


def _live_counts(session: Session, peer_ids: list[int]) -> dict[int, int]:
    return dict(
        session.execute(
            select(Match.peer_profile_id, func.count())
            .where(
                Match.status.in_(LIVE_MATCH_STATUSES),
                _among(session, Match.peer_profile_id, peer_ids),
            )
            .group_by(Match.peer_profile_id)
        ).all()
    )


def _declined(session: Session, peer_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for peer_id, referral_id in session.execute(
        select(DeclinedPair.peer_profile_id, DeclinedPair.referral_id).where(
            _among(session, DeclinedPair.peer_profile_id, peer_ids)
        )
    ):
        found[peer_id].add(referral_id)
    return found


def _links(session: Session, model, column, peer_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for peer_id, value in session.execute(
        select(model.peer_id, column)
        .where(_among(session, model.peer_id, peer_ids))
        .order_by(model.position)
    ):
        found[peer_id].append(value)
    return found


def _load_peers(
    session: Session, statement: Select, unplaced: set[int] | None = None
) -> list[PeerFacts]:
    """PeerFacts for every peer the statement selects, in a fixed number of queries.
    ``unplaced`` collects the ids of peers whose postcode has no unit centroid."""
    rows = session.execute(statement).all()
    if unplaced is not None:
        unplaced.update(row.id for row in rows if row.easting is None)
    if not rows:
        return []
    # The ids as lists (re-running the candidate statement as a subquery six times cost more
    # than sending them), in chunks small enough for SQLite's bound-parameter limit.
    size = 30_000 if session.get_bind().dialect.name == "postgresql" else 900
    live: dict[int, int] = {}
    declined: dict[int, set[int]] = {}
    conditions: dict[int, list[tuple[str, str, str]]] = {}
    support_types: dict[int, list[str]] = {}
    modes: dict[int, list[str]] = {}
    languages: dict[int, list[str]] = {}
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        ids = [row.id for row in chunk]
        live.update(_live_counts(session, ids))
        declined.update(_declined(session, ids))
        conditions.update(_conditions_by_member(session, [row.member_id for row in chunk]))
        support_types.update(_links(session, PeerSupportType, PeerSupportType.code, ids))
        modes.update(_links(session, PeerMode, PeerMode.code, ids))
        languages.update(_links(session, PeerLanguage, PeerLanguage.language, ids))
    # Postcodes without a unit centroid fall back to their sector's or district's.
    missing = {row.postcode for row in rows if row.easting is None and row.postcode}
    fallback = centroids_for(session, missing) if missing else {}
    facts = []
    for row in rows:
        if row.easting is not None:
            centroid = (row.easting, row.northing)
        else:
            hit = fallback.get(row.postcode) if row.postcode else None
            centroid = hit.point if hit else None
        mine = conditions.get(row.member_id, [])
        own = [(c, g) for c, g, k in mine if k == "own"]
        carer = [(c, g) for c, g, k in mine if k == "carer"]
        facts.append(
            PeerFacts(
                id=row.id,
                member_id=row.member_id,
                first_name=(row.name or "This peer").split(" ")[0],
                own_condition_codes=frozenset(c for c, _ in own),
                own_condition_groups=frozenset(g for _, g in own),
                carer_condition_codes=frozenset(c for c, _ in carer),
                carer_condition_groups=frozenset(g for _, g in carer),
                support_types=frozenset(support_types.get(row.id, ())),
                modes=frozenset(modes.get(row.id, ())),
                languages=frozenset(lang.title() for lang in languages.get(row.id, ())),
                gender=row.gender,
                capacity=row.capacity,
                live_matches=live.get(row.id, 0),
                travel_km=row.travel_km,
                approved=row.approved_at is not None,
                paused=row.paused,
                dbs_checked_on=row.dbs_checked_on,
                postcode=_clean_postcode(row.postcode),
                centroid=centroid,
                declined_referral_ids=frozenset(declined.get(row.id, ())),
            )
        )
    return facts


def candidate_peers(session: Session, referral: Referral, facts: ReferralFacts) -> list[PeerFacts]:
    """The peers worth scoring for this referral (not yet checked against the hard rules)."""
    statement = _prefilter(_matchable(_peer_rows_statement(referral.organisation_id)), facts)
    statement = statement.where(PeerProfile.member_id != referral.member_id)
    return _load_peers(session, statement.order_by(PeerProfile.id))


def peer_facts(session: Session, organisation_id: int, peer_id: int) -> PeerFacts | None:
    """One peer of the organisation, whatever their state (for "Why not?" and proposals)."""
    found = _load_peers(
        session, _peer_rows_statement(organisation_id).where(PeerProfile.id == peer_id)
    )
    return found[0] if found else None


def names_for(session: Session, facts: ReferralFacts) -> dict[str, str]:
    return condition_names(session, facts.condition_codes)


# --- the capped candidate list ---------------------------------------------------------------
#
# A list of the best ``limit`` (10) does not need the facts of every peer the prefilter keeps
# (thousands, in a large organisation): ``top_candidates`` reads one light row a peer, in tiers,
# and builds facts nearest first, ``CAP`` a tier at a time, until no peer left unread could enter
# the list. Why that gives exactly the list of scoring everyone:
#
# - The tiers are by the condition part's ceiling: a peer who shares one of the referral's codes
#   (the query's ``same_condition`` test) scores at most 1.0 on condition; one who only shares a
#   group at most 0.6; anyone else at most 0.25 (the engine's values; a carer's own experience
#   counts less, never more). Support and mode are at most 1.0 each.
# - Within a tier, peers are read in order of exact squared grid distance (integers, so no
#   rounding), and locality ``1 / (1 + km / 5)`` only falls with distance. So a peer not yet read
#   in a tier whose last-read peer is ``d`` km away scores at most the *bound*
#   ``0.45 × ceiling + 0.30 × locality(d) + 0.20 + 0.05`` (1.0 for locality when the support is
#   by phone or video only), added and rounded as ``engine._total`` does — each step monotone —
#   and lies at least ``d`` away, so its rank key is no better than (bound, d rounded, -).
# - When that is worse than the key of the current ``limit``-th best, no unread peer of the tier
#   can enter the list; otherwise the tier's next ``CAP`` (doubling) are read, until it is, or
#   the tier is read to its end. Ties are resolved the safe way: an equal bound and an equal
#   rounded distance read more.
# - Peers whose own postcode has no unit centroid (their distance is not known to the query) are
#   always read, and a referral without a centroid, or a list with no limit, reads everyone.
#
# Capacity is pushed into the query (a grouped count of live matches, compared with capacity),
# since a peer at capacity can never be listed and would otherwise use up a tier's reads; the
# other hard rules are the engine's, on the facts read. The result is identical to
# ``engine.rank(facts, candidate_peers(...), limit)``; ``test_matching_candidates_cap`` checks it
# with a cap of 1 and 2, so that every boundary is crossed.

# Measured on the benchmark network (100 referrals, the same lists whatever the cap): 200 read
# 454 peers a list in 1.06 rounds, 50 read 152 in 1.27, 20 read 117 in 2.17; a round is seven
# queries, a peer read is a row in each, so 50 is the cheapest.
CAP = 50


def _tier_ceilings(facts: ReferralFacts) -> tuple[float, float, float]:
    return engine.SAME_CONDITION, engine.SAME_GROUP, engine.ANY_CONDITION


def _bound_key(facts: ReferralFacts, ceiling: float, km: float) -> tuple[float, float]:
    locality = 1.0 if engine.remote_only(facts) else 1 / (1 + km / engine.LOCALITY_HALF_KM)
    parts = {"condition": ceiling, "locality": locality, "support": 1.0, "mode": 1.0}
    return (-engine._total(parts), round(km, 2))


class _Light(NamedTuple):
    """One peer, as the capped list first reads them: their own unit centroid (None when their
    postcode has none) and whether they share one of the referral's codes, or groups."""

    id: int
    easting: int | None
    northing: int | None
    code: bool
    group: bool


def _group_codes(session: Session, facts: ReferralFacts) -> list[str]:
    """Every condition code in the referral's groups (``condition`` is a small table), so that
    "shares a group" is a lookup on the indexed ``member_condition.condition_code``."""
    if not facts.condition_groups:
        return []
    return sorted(
        session.scalars(
            select(Condition.code).where(Condition.group.in_(sorted(facts.condition_groups)))
        )
    )


def _light_rows(session: Session, referral: Referral, facts: ReferralFacts) -> list[_Light]:
    """The peers ``_prefilter`` keeps who have a free place, as light rows; in at most three
    index-driven queries rather than one over every peer of the organisation:

    - the peers sharing a group, found through ``member_condition.condition_code`` (a peer who
      shares a code shares its group); the box and the rest of the prefilter are then applied
      to these few rows in memory;
    - the peers within the box (5 km; 25 km with no group to go on): a range on the profile's
      copy of its grid point (``ix_peer_profile_grid``: organisation, easting, northing), so
      no join to the member or the centroid table for any peer;
    - the peers of the referral's district whose postcode has no unit centroid.

    Capacity is a grouped count of the organisation's live matches, joined once."""
    organisation_id = referral.organisation_id
    live = (
        select(Match.peer_profile_id, func.count().label("n"))
        .where(
            Match.status.in_(LIVE_MATCH_STATUSES),
            # Only this organisation's peers' matches, not every live match there is.
            Match.peer_profile_id.in_(
                select(PeerProfile.id).where(PeerProfile.organisation_id == organisation_id)
            ),
        )
        .group_by(Match.peer_profile_id)
        .subquery("live")
    )

    def base(code=None):
        return (
            select(
                PeerProfile.id,
                PeerProfile.grid_easting.label("easting"),
                PeerProfile.grid_northing.label("northing"),
                (code if code is not None else literal(False)).label("code"),
            )
            .select_from(PeerProfile)
            .outerjoin(live, live.c.peer_profile_id == PeerProfile.id)
            .where(
                PeerProfile.organisation_id == organisation_id,
                PeerProfile.approved_at.is_not(None),
                ~PeerProfile.paused,
                PeerProfile.member_id != referral.member_id,
                PeerProfile.capacity > func.coalesce(live.c.n, 0),
            )
        )

    locality = not engine.remote_only(facts)
    found: dict[int, _Light] = {}
    group_codes = _group_codes(session, facts)
    if facts.condition_groups:
        code = None
        if facts.condition_codes:
            code = (
                exists()
                .where(
                    MemberCondition.member_id == PeerProfile.member_id,
                    MemberCondition.condition_code.in_(sorted(facts.condition_codes)),
                )
                .correlate(PeerProfile)
            )
        grouped = base(code).where(
            PeerProfile.member_id.in_(
                select(MemberCondition.member_id).where(
                    MemberCondition.condition_code.in_(group_codes)
                )
            )
        )
        wide = LOCALITY_BOX_KM * 1000
        e, n = facts.centroid
        for row in session.execute(grouped):
            boxed = row.easting is None or (
                abs(row.easting - e) <= wide and abs(row.northing - n) <= wide
            )
            if row.code or not locality or boxed:
                found[row.id] = _Light(row.id, row.easting, row.northing, bool(row.code), True)
    elif not locality:
        # Neither a group nor a locality: every matchable peer.
        for row in session.execute(base()):
            found[row.id] = _Light(row.id, row.easting, row.northing, False, False)
        return list(found.values())
    if locality:
        km = NEAR_KM if facts.condition_groups else LOCALITY_BOX_KM
        queries = [
            base().where(_box(facts, km, PeerProfile.grid_easting, PeerProfile.grid_northing))
        ]
        if facts.postcode:
            prefix = district(facts.postcode) + " "
            queries.append(
                base()
                .join(User, User.id == PeerProfile.member_id)
                .where(
                    PeerProfile.grid_easting.is_(None),
                    User.postcode.between(prefix, prefix + "~"),
                )
            )
        for query in queries:
            for row in session.execute(query):
                if row.id not in found:
                    found[row.id] = _Light(row.id, row.easting, row.northing, False, False)
    return list(found.values())


def _capped_rank(
    facts: ReferralFacts,
    rows: Iterable[_Light],
    load: Callable[[list[int]], list[PeerFacts]],
    limit: int,
    cap: int | None = None,
) -> list[tuple[engine.RankKey, PeerFacts]]:
    """``engine.best(facts, <the peers of rows>, limit)``, loading (``load``) only the peers it
    must: per tier, nearest first, ``cap`` (``CAP``) at first, then doubling (see above); the
    result is the same whatever the cap. Each peer is keyed once, as it is loaded, and each tier
    is a heap, so a tier's far end is never sorted. ``facts.centroid`` is set."""
    e, n = facts.centroid
    tiers: list[list[tuple[int, int]]] = [[], [], []]
    unread: list[int] = []
    for row in rows:
        if row.easting is None:
            unread.append(row.id)
            continue
        tier = 0 if row.code else 1 if row.group else 2
        tiers[tier].append(((row.easting - e) ** 2 + (row.northing - n) ** 2, row.id))
    return _read_capped(facts, tiers, unread, load, limit, cap)


def _read_capped(
    facts: ReferralFacts,
    tiers: list[list[tuple[int, int]]],
    unread: list[int],
    load: Callable[[list[int]], list[PeerFacts]],
    limit: int,
    cap: int | None,
) -> list[tuple[engine.RankKey, PeerFacts]]:
    """``_capped_rank`` over its tiers ((squared grid distance, peer id) each: changed in
    place) and the ids to read whatever their distance (``unread``)."""
    ceilings = _tier_ceilings(facts)
    for tier in tiers:
        heapq.heapify(tier)
    last = [0, 0, 0]  # the squared distance of the last peer read in each tier

    def read(index: int, count: int) -> None:
        tier = tiers[index]
        for _ in range(min(count, len(tier))):
            last[index], peer_id = heapq.heappop(tier)
            unread.append(peer_id)

    first = CAP if cap is None else cap
    step = [first, first, first]
    for index in range(3):
        read(index, first)
    best: list[tuple[engine.RankKey, PeerFacts]] = []
    while True:
        best = heapq.nsmallest(limit, best + engine.keyed(facts, load(unread)), key=_first)
        unread = []
        for index, tier in enumerate(tiers):
            if not tier:
                continue
            if len(best) == limit:
                bound = _bound_key(facts, ceilings[index], math.sqrt(last[index]) / 1000)
                if bound > best[-1][0][:2]:
                    continue
            step[index] *= 2
            read(index, step[index])
        if not unread:
            return best


def _first(pair: tuple[engine.RankKey, PeerFacts]) -> engine.RankKey:
    return pair[0]


def top_candidates(
    session: Session, referral: Referral, facts: ReferralFacts, limit: int, names: dict[str, str]
) -> list[Scored]:
    """``engine.rank(facts, candidate_peers(...), limit)``, reading only the peers it must."""
    if facts.centroid is None:
        return engine.rank(facts, candidate_peers(session, referral, facts), limit, names)
    rows = _light_rows(session, referral, facts)
    best = _capped_rank(
        facts, rows, lambda ids: _load_by_ids(session, referral.organisation_id, ids), limit
    )
    return [engine.score(facts, peer, names) for _, peer in best]


def _load_by_ids(session: Session, organisation_id: int, ids: list[int]) -> list[PeerFacts]:
    if not ids:
        return []
    size = 30_000 if session.get_bind().dialect.name == "postgresql" else 900
    found: list[PeerFacts] = []
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found += _load_peers(
            session,
            _peer_rows_statement(organisation_id).where(_among(session, PeerProfile.id, chunk)),
        )
    return found


def candidates_for(
    session: Session, actor: User, referral_id: int, limit: int | None = 10, *, now: datetime
) -> list[Scored]:
    """The best peers for a referral, best first, every hard rule holding for each."""
    referral = get_referral_for_matching(session, actor, referral_id)
    facts = referral_facts(session, referral, now)
    names = names_for(session, facts)
    if limit is not None:
        return top_candidates(session, referral, facts, limit, names)
    peers = candidate_peers(session, referral, facts)
    return engine.rank(facts, peers, limit=limit, condition_names=names)


def why_not(
    session: Session, actor: User, referral_id: int, peer_id: int, *, now: datetime
) -> WhyNot:
    """Whether this peer could be proposed for this referral, and if not every rule that says
    no, in plain English. A peer of another organisation is not found."""
    referral = get_referral_for_matching(session, actor, referral_id)
    peer = peer_facts(session, referral.organisation_id, peer_id)
    if peer is None:
        raise NotFound(N_("We could not find that peer."))
    facts = referral_facts(session, referral, now)
    excluded = engine.exclusions(facts, peer)
    if excluded:
        return WhyNot(peer_id=peer.id, eligible=False, excluded_by=excluded)
    scored = engine.score(facts, peer, names_for(session, facts))
    return WhyNot(peer_id=peer.id, eligible=True, scored=scored)


# --- the whole queue at once (the batch) ---------------------------------------------------------


@dataclass
class Pool:
    """Every matchable peer of an organisation, indexed in memory by condition group, grid cell
    and postcode district, so each referral's prefilter is the same as the query's."""

    peers: dict[int, PeerFacts]
    by_group: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_code: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    unplaced: set[int] = field(default_factory=set)  # no unit centroid of their own
    # Each grid cell's (``CELL_KM`` square) peers placed by their own unit centroid, as
    # (id, easting, northing): all of them, and those of each condition group.
    cell_points: dict[tuple[int, int], list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    group_cells: dict[str, dict[tuple[int, int], list[tuple[int, int, int]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    by_district: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    # The near box's width: a near box spans at most 3 × 3 cells, and a wide box's peers are
    # looked for only among the referral's groups' cells, so few points are looked at that the
    # prefilter then drops.
    CELL_KM = NEAR_KM

    @classmethod
    def of(cls, peers: Iterable[PeerFacts], unplaced: Iterable[int] = ()) -> Pool:
        pool = cls({peer.id: peer for peer in peers}, unplaced=set(unplaced))
        cell = cls.CELL_KM * 1000
        for peer in pool.peers.values():
            groups = peer.own_condition_groups | peer.carer_condition_groups
            for group in groups:
                pool.by_group[group].add(peer.id)
            for code in peer.own_condition_codes | peer.carer_condition_codes:
                pool.by_code[code].add(peer.id)
            if peer.centroid is not None and peer.id not in pool.unplaced:
                key = (peer.centroid[0] // cell, peer.centroid[1] // cell)
                point = (peer.id, *peer.centroid)
                pool.cell_points[key].append(point)
                for group in groups:
                    pool.group_cells[group][key].append(point)
            if peer.postcode:
                pool.by_district[district(peer.postcode)].add(peer.id)
        return pool

    @classmethod
    def _within(
        cls,
        cells: dict[tuple[int, int], list[tuple[int, int, int]]],
        centre: tuple[int, int],
        metres: int,
        into: set[int],
    ) -> None:
        """Add to ``into`` the ids of ``cells``' points within ``metres`` of ``centre`` on both
        axes (the query's box: ``between``, so the edges count)."""
        cell = cls.CELL_KM * 1000
        e, n = centre
        rows = range((n - metres) // cell, (n + metres) // cell + 1)
        for x in range((e - metres) // cell, (e + metres) // cell + 1):
            for y in rows:
                for peer_id, px, py in cells.get((x, y), ()):
                    if -metres <= px - e <= metres and -metres <= py - n <= metres:
                        into.add(peer_id)

    def considered(self, facts: ReferralFacts) -> list[PeerFacts]:
        """The same peers ``_prefilter`` keeps, from memory."""
        member_id = facts.member_id
        return [
            self.peers[i]
            for i in sorted(self._considered_ids(facts))
            if self.peers[i].member_id != member_id
        ]

    def _considered_ids(self, facts: ReferralFacts) -> set[int]:
        """The ids of ``considered``'s peers, the referral's own profile not yet left out."""
        grouped: set[int] = set()
        for group in facts.condition_groups:
            grouped |= self.by_group.get(group, set())
        chosen: set[int] = set()
        for code in facts.condition_codes:
            chosen |= self.by_code.get(code, set())
        locality = not engine.remote_only(facts)
        unplaced: set[int] = set()
        if locality and facts.centroid is not None:
            wide, near = LOCALITY_BOX_KM * 1000, NEAR_KM * 1000
            # Anyone within the near box; within the wide box, those sharing a group (anyone,
            # when the referral has no group to go on).
            self._within(self.cell_points, facts.centroid, near, chosen)
            if facts.condition_groups:
                for group in facts.condition_groups:
                    if group in self.group_cells:
                        self._within(self.group_cells[group], facts.centroid, wide, chosen)
            else:
                self._within(self.cell_points, facts.centroid, wide, chosen)
            unplaced = grouped & self.unplaced
        elif facts.condition_groups:
            chosen |= grouped
        if locality and facts.postcode:
            unplaced |= self.by_district.get(district(facts.postcode), set()) & self.unplaced
        chosen |= unplaced
        if not facts.condition_groups and not (
            locality and (facts.centroid is not None or facts.postcode)
        ):
            chosen = set(self.peers)
        return chosen

    def ranked(self, facts: ReferralFacts, limit: int) -> list[Scored]:
        """``engine.rank(facts, self.considered(facts), limit)`` (see ``best``)."""
        return [engine.score(facts, peer) for _, peer in self.best(facts, limit)]

    def best(self, facts: ReferralFacts, limit: int) -> list[tuple[engine.RankKey, PeerFacts]]:
        """``engine.best(facts, self.considered(facts), limit)``, keying only the peers it must:
        the capped list's nearest-first reading per tier (``_capped_rank``), over the peers
        already in memory. The peers considered are exactly ``considered``'s (the query's);
        a peer with no free place is left out first, as the query leaves them out, since the
        engine could never rank them. The batch needs only the keys (the scores), never the
        reasons."""
        if facts.centroid is None:
            return engine.best(facts, self.considered(facts), limit)
        coded: set[int] = set()
        for code in facts.condition_codes:
            coded |= self.by_code.get(code, set())
        grouped: set[int] = set()
        for group in facts.condition_groups:
            grouped |= self.by_group.get(group, set())
        e, n = facts.centroid
        unplaced, peers = self.unplaced, self.peers
        tiers: list[list[tuple[int, int]]] = [[], [], []]
        unread: list[int] = []
        member_id = facts.member_id
        for peer_id in self._considered_ids(facts):
            peer = peers[peer_id]
            if peer.capacity <= peer.live_matches or peer.member_id == member_id:
                continue
            if peer_id in unplaced or peer.centroid is None:
                unread.append(peer_id)
                continue
            tier = 0 if peer_id in coded else 1 if peer_id in grouped else 2
            x, y = peer.centroid
            tiers[tier].append(((x - e) ** 2 + (y - n) ** 2, peer_id))
        # Facts are in memory, so the first read is only ``limit`` a tier: keying is the cost.
        return _read_capped(
            facts, tiers, unread, lambda ids: [peers[i] for i in ids], limit, min(CAP, limit)
        )

    def with_live(self, peer_id: int, extra: int) -> None:
        peer = self.peers[peer_id]
        self.peers[peer_id] = replace(peer, live_matches=peer.live_matches + extra)


def waiting_referrals(session: Session, organisation_id: int, now: datetime) -> list[ReferralFacts]:
    """Every waiting referral of the organisation as facts, longest waiting first: a fixed
    number of queries whatever the queue's length."""
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.organisation_id == organisation_id, Referral.status == "waiting")
            .order_by(Referral.waiting_since, Referral.id)
        )
    )
    if not referrals:
        return []
    member_query = select(Referral.member_id).where(
        Referral.organisation_id == organisation_id, Referral.status == "waiting"
    )
    conditions = _conditions_by_member(session, member_query)
    postcodes = {p for p in (_clean_postcode(r.postcode) for r in referrals) if p}
    centroids = centroids_for(session, postcodes)
    facts = []
    for referral in referrals:
        postcode = _clean_postcode(referral.postcode)
        hit = centroids.get(postcode) if postcode else None
        facts.append(
            _referral_facts(
                referral, conditions.get(referral.member_id, []), hit.point if hit else None, now
            )
        )
    return facts


def batch_pool(session: Session, organisation_id: int) -> Pool:
    statement = _matchable(_peer_rows_statement(organisation_id)).order_by(PeerProfile.id)
    unplaced: set[int] = set()
    peers = _load_peers(session, statement, unplaced)
    return Pool.of(peers, unplaced)


def record_candidates_listed(
    session: Session, *, actor: User, referral_id: int, peer_ids: list[int], now: datetime
) -> None:
    """A candidate list (or a "Why not?") is a view of the referral and of each peer shown: their
    reasons name conditions. One audit event each, apart from the read that built the list."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        return
    audit.record(
        session,
        actor=actor,
        action="referral.viewed",
        object_type="referral",
        object_id=referral.id,
        member=referral.member,
        now=now,
    )
    if peer_ids:
        shown = session.execute(
            select(PeerProfile.id, PeerProfile.member_id).where(PeerProfile.id.in_(peer_ids))
        ).all()
        audit.record_list_view(
            session,
            actor=actor,
            action="peer.listed",
            object_type="peer_profile",
            shown=[(peer_id, member_id) for peer_id, member_id in shown],
            now=now,
        )
