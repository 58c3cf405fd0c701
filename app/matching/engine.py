"""The matching engine: hard rules, a score in [0, 1] with its parts, and reasons in plain English.

Pure: plain frozen dataclasses in, plain dataclasses out. No Flask, no database; the candidate
query builds the facts, and the same facts give the same answer everywhere (the candidate list,
"Why not?", a proposal's check and the batch).

Hard rules (``exclusions``) are exactly API.md's: approved, not paused, spare capacity, a DBS check
for in-person accompanying or practical support, within the peer's travel distance for in-person
support when the distance is known, a shared language when the referral names any, the preferred
gender, never a declined pair again, never oneself. A pairing *involves in-person support* when
both sides have ``in_person`` among their modes; that is when the DBS and distance rules apply
(conservative: a pairing that could happen in person is held to the in-person rules).

Score = 0.45 × condition + 0.30 × locality + 0.20 × support + 0.05 × mode, each part in [0, 1]:

- **condition (0.45)**, the heaviest, because lived experience of the same thing is why peer
  support works and what the product exists for: the same condition 1.0; the same condition group
  0.6; lived experience of some other long-term condition 0.25; none 0. For a referral made for a
  family carer (``is_carer``) the peer's experience as a carer counts in full and their own
  experience of the condition at 0.85 of it (they know the condition, not the caring); otherwise
  only the peer's own experience counts.
- **locality (0.30)**: nearby matters for meeting in person and for knowing the same services.
  With both centroids, ``1 / (1 + km / 5)``: 1 at the same place, 0.5 at 5 km, 0.2 at 20 km (it
  never reaches 0, so a far peer with the same condition still beats a near one without). Without
  a centroid, the postcode hierarchy: same unit postcode 1.0, sector 0.8, district 0.6, area 0.3,
  otherwise (or no postcode) 0. Support only by phone or video waives locality: 1.0 for everyone.
- **support (0.20)**: the share of the support types asked for that the peer offers (1.0 when none
  were asked for). Second to condition among the non-distance parts because a peer who cannot
  help write a plan is little use to someone who needs exactly that.
- **mode (0.05)**: 1.0 when the peer offers at least one of the ways asked for, else 0. Small,
  because modes are usually negotiable; it breaks near-ties.

Ranking is by score, then known distance (nearer first, unknown last), then peer id, so the same
facts always give the same order.

Reasons and rule messages are ``Sentence``s: the English (the string itself, which the API keeps)
that also remembers its message id and values, so a page can say it in the reader's language
(``app.i18n.translated``). Their text is marked with ``N_`` and ``ngettext`` (``app.wording``,
translating nothing) so ``make translations`` extracts it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..postcodes import area, district, sector
from ..wording import N_, Listed, Sentence, ngettext, said  # noqa: F401 - Sentence is re-exported

WEIGHTS: dict[str, float] = {"condition": 0.45, "locality": 0.30, "support": 0.20, "mode": 0.05}

SAME_CONDITION = 1.0
SAME_GROUP = 0.6
ANY_CONDITION = 0.25
OWN_EXPERIENCE_FOR_CARER = 0.85
LOCALITY_HALF_KM = 5.0
HIERARCHY = {"unit": 1.0, "sector": 0.8, "district": 0.6, "area": 0.3}

IN_PERSON = "in_person"
REMOTE_MODES = frozenset({"phone", "video"})
NEEDS_DBS_IN_PERSON = frozenset({"accompany", "practical"})


SUPPORT_REASONS = {
    "talk": N_("Offers someone to talk to"),
    "support_planning": N_("Offers help writing a support plan"),
    "accompany": N_("Can go with them to appointments"),
    "practical": N_("Offers practical help"),
}
# The DBS rule's message by the support types that need a check (sorted), whole sentences.
DBS_MESSAGES = {
    ("accompany",): N_("No DBS check on file for going with someone in person."),
    ("practical",): N_("No DBS check on file for practical help in person."),
    ("accompany", "practical"): N_(
        "No DBS check on file for going with someone in person or practical help in person."
    ),
}

# Without centroids: the postcode level two places share, and how to say it.
POSTCODE_LEVELS = (
    ("unit", None, N_("Same postcode")),
    ("sector", sector, N_("Same postcode sector, %(postcode)s")),
    ("district", district, N_("Same postcode district, %(postcode)s")),
    ("area", area, N_("Same postcode area, %(postcode)s")),
)

Point = tuple[int, int]
"""A British National Grid point: (easting, northing) in metres."""


@dataclass(frozen=True)
class ReferralFacts:
    id: int
    member_id: int
    condition_codes: frozenset[str] = frozenset()
    condition_groups: frozenset[str] = frozenset()
    is_carer: bool = False
    postcode: str | None = None  # normalised, 'LS6 2AB'
    centroid: Point | None = None
    support_types: frozenset[str] = frozenset()
    modes: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    peer_gender: str | None = None
    waited_days: int = 0


@dataclass(frozen=True)
class PeerFacts:
    id: int
    member_id: int
    first_name: str = "This peer"
    own_condition_codes: frozenset[str] = frozenset()
    own_condition_groups: frozenset[str] = frozenset()
    carer_condition_codes: frozenset[str] = frozenset()
    carer_condition_groups: frozenset[str] = frozenset()
    support_types: frozenset[str] = frozenset()
    modes: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    gender: str | None = None
    capacity: int = 1
    live_matches: int = 0
    travel_km: float = 5
    approved: bool = True
    paused: bool = False
    dbs_checked_on: object | None = None  # a date; only whether it is on file matters here
    postcode: str | None = None
    centroid: Point | None = None
    declined_referral_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Exclusion:
    code: str
    message: str


@dataclass(frozen=True)
class Scored:
    peer_id: int
    score: float
    distance_km: float | None
    parts: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def distance_km(a: Point | None, b: Point | None) -> float | None:
    """Straight-line kilometres between two grid points (Pythagoras: the grid is in metres)."""
    if a is None or b is None:
        return None
    return math.hypot(a[0] - b[0], a[1] - b[1]) / 1000


def involves_in_person(referral: ReferralFacts, peer: PeerFacts) -> bool:
    return IN_PERSON in referral.modes and IN_PERSON in peer.modes


def remote_only(referral: ReferralFacts) -> bool:
    return bool(referral.modes) and referral.modes <= REMOTE_MODES


def _folded(values: Iterable[str]) -> dict[str, str]:
    return {value.strip().casefold(): value.strip() for value in values if value and value.strip()}


def _pronoun(peer: PeerFacts) -> str:
    gender = (peer.gender or "").strip().casefold()
    if gender in {"female", "woman", "f"}:
        return "her"
    if gender in {"male", "man", "m"}:
        return "his"
    return "their"


def _at_capacity(name: str, peer: PeerFacts) -> Sentence:
    count, pronoun = peer.live_matches, _pronoun(peer)
    if pronoun == "her":
        return ngettext(
            "%(name)s already supports %(count)s person, her limit.",
            "%(name)s already supports %(count)s people, her limit.",
            count,
            name=name,
        )
    if pronoun == "his":
        return ngettext(
            "%(name)s already supports %(count)s person, his limit.",
            "%(name)s already supports %(count)s people, his limit.",
            count,
            name=name,
        )
    return ngettext(
        "%(name)s already supports %(count)s person, their limit.",
        "%(name)s already supports %(count)s people, their limit.",
        count,
        name=name,
    )


def _in_sentence(name: str) -> str:
    """'Type 2 diabetes' → 'type 2 diabetes' mid-sentence; 'COPD', 'Parkinson's disease' stay."""
    first = name.split(" ")[0]
    if len(first) > 1 and first[1:].islower() and "'" not in first:
        return name[0].lower() + name[1:]
    return name


def _km(value: float) -> str:
    return f"{value:.1f}"


def exclusions(referral: ReferralFacts, peer: PeerFacts) -> list[Exclusion]:
    """Every hard rule that keeps this peer from this referral, in plain English; empty if none."""
    name = peer.first_name
    found: list[Exclusion] = []
    if referral.member_id == peer.member_id:
        found.append(Exclusion("self_match", said(N_("This is the person's own peer profile."))))
    if not peer.approved:
        found.append(
            Exclusion(
                "peer_not_approved",
                said(N_("%(name)s has not been approved as a peer yet."), name=name),
            )
        )
    if peer.paused:
        found.append(
            Exclusion(
                "peer_paused", said(N_("%(name)s has paused peer support for now."), name=name)
            )
        )
    if peer.live_matches >= peer.capacity:
        found.append(Exclusion("peer_at_capacity", _at_capacity(name, peer)))
    in_person = involves_in_person(referral, peer)
    dbs_types = tuple(sorted(referral.support_types & NEEDS_DBS_IN_PERSON))
    if in_person and dbs_types and peer.dbs_checked_on is None:
        found.append(Exclusion("dbs_required", said(DBS_MESSAGES[dbs_types])))
    km = distance_km(referral.centroid, peer.centroid)
    if in_person and km is not None and km > peer.travel_km:
        found.append(
            Exclusion(
                "too_far",
                said(
                    N_("%(km)s km away; %(name)s travels up to %(limit)s km to meet in person."),
                    km=_km(km),
                    name=name,
                    limit=f"{peer.travel_km:g}",
                ),
            )
        )
    wanted = _folded(referral.languages)
    if wanted and not wanted.keys() & _folded(peer.languages).keys():
        found.append(
            Exclusion(
                "language",
                said(
                    N_("%(name)s does not speak %(languages)s."),
                    name=name,
                    languages=Listed(sorted(wanted.values()), "or"),
                ),
            )
        )
    preferred = (referral.peer_gender or "").strip()
    if preferred and preferred.casefold() != (peer.gender or "").strip().casefold():
        if not (peer.gender or "").strip():
            message = said(
                N_("They asked for a %(preferred)s peer; %(name)s has no gender recorded."),
                preferred=preferred,
                name=name,
            )
        else:
            message = said(
                N_("They asked for a %(preferred)s peer; %(name)s is %(gender)s."),
                preferred=preferred,
                name=name,
                gender=peer.gender.strip(),
            )
        found.append(Exclusion("peer_gender", message))
    if referral.id in peer.declined_referral_ids:
        found.append(
            Exclusion(
                "declined_before", said(N_("%(name)s declined this referral before."), name=name)
            )
        )
    return found


def is_eligible(referral: ReferralFacts, peer: PeerFacts) -> bool:
    """``not exclusions(referral, peer)``, without writing the messages (ranking asks this of
    thousands of peers). ``test_matching_engine`` checks the two agree."""
    return _keyer(referral)(peer) is not None


RankKey = tuple[float, float, int]
"""(-score, distance in km rounded as ``Scored.distance_km`` is, or infinity; peer id)."""


def _keyer(referral: ReferralFacts) -> Callable[[PeerFacts], RankKey | None]:
    """A function giving an eligible peer's rank key, exactly ``rank_key(score(referral, peer))``,
    and None for a peer a hard rule excludes. What depends only on the referral is worked out
    once, and no reason is written: ranking asks this of thousands of peers, and the batch of
    hundreds of thousands. The parts are the same functions' values (``_condition_value``,
    the same locality), added in the same order and rounded as ``_total`` does."""
    member_id, referral_id = referral.member_id, referral.id
    in_person_asked = IN_PERSON in referral.modes
    needs_dbs = bool(referral.support_types & NEEDS_DBS_IN_PERSON)
    wanted = _folded(referral.languages).keys() if referral.languages else None
    preferred = (referral.peer_gender or "").strip().casefold()
    centroid = referral.centroid
    remote = remote_only(referral)
    support_types, modes = referral.support_types, referral.modes
    asked = len(support_types)
    w_condition, w_locality = WEIGHTS["condition"], WEIGHTS["locality"]
    w_support, w_mode = WEIGHTS["support"], WEIGHTS["mode"]

    def key(peer: PeerFacts) -> RankKey | None:
        if peer.member_id == member_id or not peer.approved or peer.paused:
            return None
        if peer.live_matches >= peer.capacity or referral_id in peer.declined_referral_ids:
            return None
        km = distance_km(centroid, peer.centroid)
        if in_person_asked and IN_PERSON in peer.modes:
            if peer.dbs_checked_on is None and needs_dbs:
                return None
            if km is not None and km > peer.travel_km:
                return None
        if wanted and not wanted & _folded(peer.languages).keys():
            return None
        if preferred and preferred != (peer.gender or "").strip().casefold():
            return None
        if remote:
            locality = 1.0
        elif km is not None:
            locality = 1 / (1 + km / LOCALITY_HALF_KM)
        else:
            locality = _locality_part(referral, peer, km)[0]
        support = len(support_types & peer.support_types) / asked if asked else 1.0
        mode = 1.0 if not modes or modes & peer.modes else 0.0
        total = (
            w_condition * _condition_value(referral, peer)
            + w_locality * locality
            + w_support * support
            + w_mode * mode
        )
        score = round(min(1.0, max(0.0, total)), 6)
        return (-score, math.inf if km is None else round(km, 2), peer.id)

    return key


def keyed(referral: ReferralFacts, peers: Iterable[PeerFacts]) -> list[tuple[RankKey, PeerFacts]]:
    """(rank key, peer) for each eligible peer, in the order given (``_keyer``)."""
    key = _keyer(referral)
    found = []
    for peer in peers:
        k = key(peer)
        if k is not None:
            found.append((k, peer))
    return found


def _condition_sources(
    referral: ReferralFacts, peer: PeerFacts
) -> list[tuple[frozenset[str], frozenset[str], float]]:
    """(codes, groups, factor) of the peer's experience that counts for this referral."""
    if referral.is_carer:
        return [
            (peer.carer_condition_codes, peer.carer_condition_groups, 1.0),
            (peer.own_condition_codes, peer.own_condition_groups, OWN_EXPERIENCE_FOR_CARER),
        ]
    return [(peer.own_condition_codes, peer.own_condition_groups, 1.0)]


def _condition_value(referral: ReferralFacts, peer: PeerFacts) -> float:
    """The condition part alone, as ``_condition_part`` works it out."""
    best = 0.0
    for codes, groups, factor in _condition_sources(referral, peer):
        if referral.condition_codes & codes:
            value = SAME_CONDITION * factor
        elif referral.condition_groups & groups:
            value = SAME_GROUP * factor
        elif codes:
            value = ANY_CONDITION * factor
        else:
            continue
        if value > best:
            best = value
    return best


def _condition_part(
    referral: ReferralFacts, peer: PeerFacts, names: Mapping[str, str]
) -> tuple[float, list[str]]:
    def label(code: str) -> str:
        return _in_sentence(names.get(code, code.replace("_", " ")))

    # (codes, groups, factor, how to say "the same condition", how to say "the same group")
    sources: list[tuple[frozenset[str], frozenset[str], float, str, str]] = []
    if referral.is_carer:
        sources.append(
            (
                peer.carer_condition_codes,
                peer.carer_condition_groups,
                1.0,
                N_("Also cares for someone with %(conditions)s"),
                N_("Also a carer, for a related condition (%(groups)s)"),
            )
        )
        own_factor = OWN_EXPERIENCE_FOR_CARER
    else:
        own_factor = 1.0
    sources.append(
        (
            peer.own_condition_codes,
            peer.own_condition_groups,
            own_factor,
            N_("Both live with %(conditions)s")
            if not referral.is_carer
            else N_("Lives with %(conditions)s"),
            N_("Lives with a related condition (%(groups)s)"),
        )
    )
    best, reasons = 0.0, []
    for codes, groups, factor, same_text, group_text in sources:
        shared = sorted(referral.condition_codes & codes)
        shared_groups = sorted(referral.condition_groups & groups)
        if shared:
            value, reason = (
                SAME_CONDITION * factor,
                said(same_text, conditions=Listed([label(c) for c in shared])),
            )
        elif shared_groups:
            value, reason = (
                SAME_GROUP * factor,
                said(group_text, groups=Listed(shared_groups, "comma")),
            )
        elif codes:
            value, reason = (
                ANY_CONDITION * factor,
                said(N_("Has lived experience of a long-term condition")),
            )
        else:
            continue
        if value > best:
            best, reasons = value, [reason]
    return best, reasons


def _locality_part(
    referral: ReferralFacts, peer: PeerFacts, km: float | None
) -> tuple[float, list[str]]:
    if remote_only(referral):
        return 1.0, [said(N_("By phone or video, so distance does not matter"))]
    if km is not None:
        if km < 0.05:
            reason = said(N_("Same postcode"))
        else:
            reason = said(N_("%(km)s km away"), km=_km(km))
        return 1 / (1 + km / LOCALITY_HALF_KM), [reason]
    if not referral.postcode or not peer.postcode:
        return 0.0, []
    for level, of, same in POSTCODE_LEVELS:
        mine = referral.postcode if of is None else of(referral.postcode)
        theirs = peer.postcode if of is None else of(peer.postcode)
        if mine == theirs:
            return HIERARCHY[level], [said(same, postcode=mine)]
    return 0.0, []


def _total(parts: Mapping[str, float]) -> float:
    total = sum(WEIGHTS[key] * value for key, value in parts.items())
    return round(min(1.0, max(0.0, total)), 6)


def _support_and_mode(referral: ReferralFacts, peer: PeerFacts) -> tuple[float, float]:
    offered = referral.support_types & peer.support_types
    support = len(offered) / len(referral.support_types) if referral.support_types else 1.0
    mode = 1.0 if not referral.modes or referral.modes & peer.modes else 0.0
    return support, mode


def score(
    referral: ReferralFacts, peer: PeerFacts, condition_names: Mapping[str, str] | None = None
) -> Scored:
    """How well this peer fits this referral, with the parts and the reasons (hard rules aside)."""
    names = condition_names or {}
    km = distance_km(referral.centroid, peer.centroid)
    condition, condition_reasons = _condition_part(referral, peer, names)
    locality, locality_reasons = _locality_part(referral, peer, km)
    offered = referral.support_types & peer.support_types
    support, mode = _support_and_mode(referral, peer)
    parts = {"condition": condition, "locality": locality, "support": support, "mode": mode}
    reasons = [*condition_reasons, *locality_reasons]
    reasons += [
        said(SUPPORT_REASONS[t])
        if t in SUPPORT_REASONS
        else said(N_("Offers %(support)s"), support=t)
        for t in sorted(offered)
    ]
    spoken = _folded(peer.languages)
    reasons += [
        said(N_("Speaks %(language)s"), language=spoken[key])
        for key in sorted(_folded(referral.languages).keys() & spoken)
    ]
    return Scored(
        peer_id=peer.id,
        score=_total(parts),
        distance_km=None if km is None else round(km, 2),
        parts=parts,
        reasons=reasons,
    )


def rank_key(scored: Scored) -> tuple[float, float, int]:
    distance = math.inf if scored.distance_km is None else scored.distance_km
    return (-scored.score, distance, scored.peer_id)


def rank(
    referral: ReferralFacts,
    peers: Iterable[PeerFacts],
    limit: int | None = 10,
    condition_names: Mapping[str, str] | None = None,
) -> list[Scored]:
    """The eligible peers, best first (score, then nearer, then peer id), at most ``limit``.

    Every eligible peer's rank key is computed from the same parts ``score`` adds up
    (``_keyer``: the same values and rounding), and the reasons are written only for the peers
    returned: the order and the figures are exactly those of scoring everyone."""
    return [score(referral, peer, condition_names) for _, peer in best(referral, peers, limit)]


def best(
    referral: ReferralFacts, peers: Iterable[PeerFacts], limit: int | None
) -> list[tuple[RankKey, PeerFacts]]:
    """(rank key, peer) of the ``limit`` best eligible peers (all of them for None), best first."""
    found = keyed(referral, peers)
    if limit is not None and len(found) > limit:
        return heapq.nsmallest(limit, found, key=_first)
    found.sort(key=_first)
    return found


def _first(pair: tuple[RankKey, PeerFacts]) -> RankKey:
    return pair[0]
