from sqlalchemy import func, select

from app.auth.models import User
from app.demo import EXCHANGES, LISTINGS, MEMBERS, PARTNER_MEMBERS, load_demo
from app.timebank.models import Account, Exchange, Listing
from tests.ledger_checks import assert_every_organisation_sums_to_zero


def counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (User, Exchange, Listing)
    )


def test_demo_loads_people_listings_and_exchanges_and_is_idempotent(session):
    load_demo()
    session.commit()
    first = counts(session)
    # The timebank's exchanges, two of peer support on the introduced match, and one across to
    # the partner organisation (its coordinator, members and one listing).
    assert first == (
        len(MEMBERS) + 2 + len(PARTNER_MEMBERS) + 1,
        len(EXCHANGES) + 2 + 1,
        len(LISTINGS) + 1,
    )
    load_demo()
    session.commit()
    assert counts(session) == first
    assert session.scalar(select(func.sum(Account.balance_minutes))) == 0
    assert_every_organisation_sums_to_zero(session)
    across = session.scalar(select(Exchange).where(Exchange.partnership_id.is_not(None)))
    assert across.status == "confirmed"
    statuses = session.scalars(select(Exchange.status)).all()
    assert "pending" in statuses and "confirmed" in statuses


def test_demo_referral_has_candidates_with_reasons_and_a_peer_why_not_explains(session):
    from app.clock import utcnow
    from app.demo import COORDINATOR
    from app.matching import candidates
    from app.matching.models import Match
    from app.peers.models import PeerProfile, Referral

    people = load_demo()
    session.commit()
    coordinator = people[COORDINATOR[1]]
    waiting = session.scalar(select(Referral).where(Referral.status == "waiting"))
    found = candidates.candidates_for(session, coordinator, waiting.id, 10, now=utcnow())
    assert len(found) >= 3
    assert len({tuple(s.reasons[:1]) for s in found}) >= 3  # different first reasons
    ivy = session.scalar(
        select(PeerProfile)
        .join(User, User.id == PeerProfile.member_id)
        .where(User.email == "ivy@example.org")
    )
    why = candidates.why_not(session, coordinator, waiting.id, ivy.id, now=utcnow())
    assert [e.code for e in why.excluded_by] == ["peer_paused"]
    introduced = session.scalar(select(Match).where(Match.status == "introduced"))
    assert introduced is not None
    assert (
        session.scalar(
            select(func.count()).select_from(Exchange).where(Exchange.match_id == introduced.id)
        )
        == 2
    )


def test_demo_plan_has_a_review_and_two_versions_in_its_history(session):
    from app.peers import plans
    from app.peers.models import PlanReview, SupportPlan

    people = load_demo()
    session.commit()
    farhan = people["farhan@example.org"]
    plan = session.scalar(select(SupportPlan).where(SupportPlan.member_id == farhan.id))
    assert plan.version == 2
    assert [v.number for v in plans.version_history(session, plan)] == [2, 1]
    review = session.scalar(select(PlanReview).where(PlanReview.plan_id == plan.id))
    assert review.plan_version == 1 and {o.status for o in review.outcomes} == {
        "achieved",
        "partly",
    }
