"""Demo data for `make run`: safe to load again and again (it only adds what is missing)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .auth import services as auth
from .auth.models import Organisation, User
from .clock import utcnow
from .extensions import db

DEMO_ORGANISATION = "Leeds Give and Get"
DEMO_PASSWORD = "give-and-get-demo"
COORDINATOR = ("Sam Okafor", "coordinator@example.org", "LS6 2AB")
ADMIN = ("Admin", "admin@example.org", None)
MEMBERS = [
    ("Amina Hussain", "amina@example.org", "LS6 1AA"),
    ("Brian Walsh", "brian@example.org", "LS6 3BB"),
    ("Chloe Evans", "chloe@example.org", "LS7 2DD"),
    ("David Clarke", "david@example.org", "LS8 1EE"),
    ("Esther Mensah", "esther@example.org", "LS4 2FF"),
    ("Farhan Iqbal", "farhan@example.org", "LS11 5GG"),
    ("Grace Taylor", "grace@example.org", "LS9 6HH"),
    ("Harjit Kaur", "harjit@example.org", "LS12 3JJ"),
    ("Ivy Robinson", "ivy@example.org", "LS6 4LL"),
    ("Joseph Brown", "joseph@example.org", "LS10 1NN"),
    ("Kath Murphy", None, "LS13 2PP"),
    ("Leon Ward", "leon@example.org", "LS5 3QQ"),
]


PARTNER_ORGANISATION = "Headingley Housing Co-op"
PARTNER_COORDINATOR = ("Rosa Lindqvist", "rosa@example.org", "LS6 3AA")
PARTNER_MEMBERS = [
    ("Tom Asante", "tom@example.org", "LS6 3DA"),
    ("Una Byrne", "una@example.org", "LS6 3EB"),
]
PARTNER_LISTING = ("tom@example.org", "offer", "I can help with bike repairs", "diy", "Weekends")
PARTNERSHIP_LIMIT_MINUTES = 50 * 60
# (provider email, receiver email, minutes, description): one exchange across, confirmed.
ACROSS = ("amina@example.org", "tom@example.org", 60, "Helped fill in a housing form")


def load_demo(now=None) -> dict[str, User]:
    """Create the demo organisation and people if they are missing; returns people by email."""
    now = now or utcnow()
    base_url = current_app.config["BASE_URL"]
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == DEMO_ORGANISATION)
    ) or auth.create_organisation(db.session, actor=None, name=DEMO_ORGANISATION)
    people: dict[str, User] = {}
    for role, (name, email, postcode) in [
        ("admin", ADMIN),
        ("coordinator", COORDINATOR),
        *[("member", member) for member in MEMBERS],
    ]:
        existing = db.session.scalar(
            select(User).where(
                User.organisation_id == organisation.id,
                (User.email == email) if email else (User.name == name),
            )
        )
        people[email or name] = existing or auth.create_member(
            db.session,
            actor=None,
            new=auth.NewMember(
                name=name,
                email=email,
                password=DEMO_PASSWORD if email else None,
                postcode=postcode,
                role=role,
                organisation_id=organisation.id,
            ),
            now=now,
            base_url=base_url,
        )
    db.session.flush()
    _load_timebank(organisation, people, now)
    _load_inbox(people, now, base_url)
    _load_peers(organisation, people, now)
    _load_matching(organisation, people, now)
    _load_acting(people, now)
    _load_partner(organisation, people, now, base_url)
    return people


def _load_acting(people: dict[str, User], now) -> None:
    """Kath Murphy has no email: she asked the coordinator to act for her (added once)."""
    from datetime import timedelta

    from .auth.acting import arrangements_of, record_arrangement
    from .clock import london_date

    kath = people["Kath Murphy"]
    if arrangements_of(db.session, kath):
        return
    today = london_date(now)
    record_arrangement(
        db.session,
        actor=people[COORDINATOR[1]],
        member_id=kath.id,
        asked_on=today - timedelta(days=20),
        reason="Kath has no email or smartphone. She asked Sam to record and confirm her "
        "exchanges and read her messages for her.",
        until=today + timedelta(days=160),
        now=now,
    )


def _load_partner(organisation: Organisation, people: dict[str, User], now, base_url) -> None:
    """A second organisation in partnership with the first, and one exchange across, once."""
    from .clock import london_date
    from .timebank import exchanges, listings, partnerships
    from .timebank.models import DirectoryEntry
    from .timebank.services import member_account

    if db.session.scalar(select(Organisation.id).where(Organisation.name == PARTNER_ORGANISATION)):
        return
    partner = auth.create_organisation(db.session, actor=None, name=PARTNER_ORGANISATION)
    theirs: dict[str, User] = {}
    for role, (name, email, postcode) in [
        ("coordinator", PARTNER_COORDINATOR),
        *[("member", member) for member in PARTNER_MEMBERS],
    ]:
        theirs[email] = auth.create_member(
            db.session,
            actor=None,
            new=auth.NewMember(
                name=name,
                email=email,
                password=DEMO_PASSWORD,
                postcode=postcode,
                role=role,
                organisation_id=partner.id,
            ),
            now=now,
            base_url=base_url,
        )
    people.update(theirs)
    email, kind, title, category, availability = PARTNER_LISTING
    listings.create_listing(
        db.session,
        actor=theirs[email],
        new=listings.NewListing(
            kind=kind, title=title, category=category, availability=availability
        ),
        now=now,
    )
    db.session.add(DirectoryEntry(user_id=theirs[email].id, listed=True, updated_at=now))
    partnership = partnerships.propose_partnership(
        db.session,
        actor=people[COORDINATOR[1]],
        partner_organisation_id=partner.id,
        limit_minutes=PARTNERSHIP_LIMIT_MINUTES,
        now=now,
    )
    partnerships.accept_partnership(
        db.session,
        actor=theirs[PARTNER_COORDINATOR[1]],
        partnership_id=partnership.id,
        now=now,
    )
    provider, receiver, minutes, description = ACROSS
    exchange = exchanges.record_exchange(
        db.session,
        actor=people[provider],
        new=exchanges.NewExchange(
            provider=member_account(db.session, people[provider]),
            receiver=member_account(db.session, people[receiver]),
            minutes=minutes,
            category="paperwork",
            occurred_on=london_date(now),
            description=description,
        ),
        now=now,
    )
    exchanges.confirm_exchange(db.session, actor=people[receiver], exchange_id=exchange.id, now=now)


DEMO_PEERS = [
    # (email, own conditions, support types, modes, languages, gender, capacity, paused)
    (
        "grace@example.org",
        ["parkinsons"],
        ["talk", "support_planning"],
        ["phone", "video"],
        ["English"],
        "female",
        2,
        False,
    ),
    (
        "harjit@example.org",
        ["type_2_diabetes"],
        ["talk"],
        ["in_person", "phone"],
        ["English", "Punjabi"],
        "female",
        1,
        False,
    ),
    (
        "ivy@example.org",
        ["multiple_sclerosis"],
        ["talk"],
        ["phone"],
        ["English"],
        "female",
        1,
        True,
    ),
]


def _demo_centroids() -> None:
    """The demo's postcodes are in Leeds: load Code-Point Open for the LS area only (22,000
    postcodes, about a second) unless centroids are there already."""
    from .errors import DomainError
    from .matching.geo import centroid_for, import_code_point

    if centroid_for(db.session, COORDINATOR[2]) is not None:
        return
    try:
        import_code_point(db.session, areas=["LS"])
    except (DomainError, OSError):
        pass  # without the data, locality falls back to the postcode hierarchy


def _load_matching(organisation: Organisation, people: dict[str, User], now) -> None:
    """More peers, so Farhan's waiting referral has candidates with different reasons and one
    peer "Why not?" explains (Ivy has paused); and Chloe introduced to Grace, with peer hours
    logged. Once."""
    from datetime import timedelta

    from .clock import london_date
    from .matching import workflow
    from .peers import profiles, referrals

    _demo_centroids()
    if profiles.peer_of(db.session, people["ivy@example.org"]) is not None:
        return
    coordinator = people[COORDINATOR[1]]
    created = {}
    for email, codes, types, modes, languages, gender, capacity, paused in DEMO_PEERS:
        profile = profiles.create_peer(
            db.session,
            actor=coordinator,
            member_id=people[email].id,
            details=profiles.PeerDetails(
                support_types=types,
                modes=modes,
                languages=languages,
                capacity=capacity,
                travel_km=10,
                gender=gender,
                references_checked_on=london_date(now) - timedelta(days=200),
                training_completed_on=london_date(now) - timedelta(days=150),
            ),
            condition_codes=codes,
            carer_condition_codes=[],
            consent_given=True,
            approve=True,
            now=now - timedelta(days=100),
        )
        if paused:
            profiles.set_paused(
                db.session, actor=coordinator, peer_id=profile.id, paused=True, now=now
            )
        created[email] = profile
    chloe = referrals.create_referral(
        db.session,
        actor=coordinator,
        request=referrals.ReferralRequest(
            member_id=people["chloe@example.org"].id,
            condition_codes=["parkinsons"],
            consent_given=True,
            support_types=["talk"],
            modes=["phone"],
        ),
        now=now - timedelta(days=30),
    )
    grace = created["grace@example.org"]
    match = workflow.propose_match(
        db.session,
        actor=coordinator,
        referral_id=chloe.id,
        peer_id=grace.id,
        now=now - timedelta(days=28),
    )
    workflow.accept_match(
        db.session,
        actor=people["grace@example.org"],
        match_id=match.id,
        now=now - timedelta(days=27),
    )
    workflow.introduce_match(
        db.session, actor=coordinator, match_id=match.id, now=now - timedelta(days=25)
    )
    workflow.record_check_in(
        db.session,
        actor=coordinator,
        match_id=match.id,
        now=now - timedelta(days=10),
        note="Talking every week; Chloe says it helps.",
        kind="2_weeks",
    )
    workflow.log_support(
        db.session,
        actor=coordinator,
        match_id=match.id,
        minutes=60,
        occurred_on=london_date(now) - timedelta(days=20),
        description="First phone call",
        now=now - timedelta(days=20),
    )
    workflow.log_support(
        db.session,
        actor=people["grace@example.org"],
        match_id=match.id,
        minutes=45,
        occurred_on=london_date(now) - timedelta(days=3),
        description="Talked through the hospital letters",
        now=now - timedelta(days=3),
    )


def _load_peers(organisation: Organisation, people: dict[str, User], now) -> None:
    """An approved peer, a signed-off plan with its referral, and a draft plan — once."""
    from datetime import date, timedelta

    from .peers import plans, profiles
    from .peers.models import SupportPlan

    if db.session.scalar(
        select(SupportPlan.id).where(SupportPlan.organisation_id == organisation.id)
    ):
        return
    coordinator = people[COORDINATOR[1]]
    profiles.create_peer(
        db.session,
        actor=coordinator,
        member_id=people["esther@example.org"].id,
        details=profiles.PeerDetails(
            support_types=["talk", "support_planning", "accompany"],
            modes=["in_person", "phone"],
            languages=["English", "Twi"],
            capacity=2,
            travel_km=8,
            gender="female",
            references_checked_on=date(2025, 3, 1),
            dbs_checked_on=date(2025, 3, 14),
            training_completed_on=date(2025, 4, 2),
        ),
        condition_codes=["multiple_sclerosis"],
        carer_condition_codes=[],
        consent_given=True,
        approve=True,
        now=now - timedelta(days=200),
    )
    signed = plans.create_plan(
        db.session,
        actor=coordinator,
        details=plans.PlanDetails(
            member_id=people["farhan@example.org"].id,
            budget_pence=1_450_000,
            management="mixed",
            split_pence={"notional": 1_000_000, "direct_payment": 450_000},
            outcomes=[
                "I want to get to the mosque on Fridays without relying on my brother",
                "I want to cook for myself again",
            ],
            supports=[
                plans.SupportLine(
                    kind="paid",
                    description="Personal assistant, 6 hours a week",
                    provider="Employed directly",
                    annual_pence=980_000,
                ),
                plans.SupportLine(
                    kind="paid",
                    description="Physiotherapy sessions",
                    provider="Leeds Physio Co-op",
                    annual_pence=470_000,
                ),
                plans.SupportLine(
                    kind="give_and_get",
                    type="timebank",
                    description="Lifts and help with the shopping",
                    hours_per_month=6,
                ),
                plans.SupportLine(
                    kind="give_and_get",
                    type="peer",
                    description="Talking to someone who lives with MS",
                    hours_per_month=2,
                ),
                plans.SupportLine(
                    kind="give_and_get",
                    type="family",
                    description="Brother helps with forms",
                    hours_per_month=4,
                ),
            ],
        ),
        now=now - timedelta(days=20),
    )
    plans.sign_off(
        db.session,
        actor=coordinator,
        plan_id=signed.id,
        answers=plans.SignOff(
            wants_peer_support=True,
            willing_to_support_others=True,
            condition_codes=["multiple_sclerosis"],
            support_types=["talk", "support_planning"],
            modes=["phone", "in_person"],
            languages=["Urdu", "English"],
            consent_given=True,
            wellbeing={
                "in_control": 2,
                "things_that_matter": 1,
                "part_of_community": 2,
                "someone_who_understands": 1,
                "hopeful": 2,
            },
        ),
        now=now - timedelta(days=16),
    )
    _load_review(coordinator, signed, now)
    plans.create_plan(
        db.session,
        actor=coordinator,
        details=plans.PlanDetails(
            member_id=people["chloe@example.org"].id,
            budget_pence=0,
            started_without_money=True,
            outcomes=["Get to my hospital appointments with someone I trust"],
            supports=[
                plans.SupportLine(
                    kind="give_and_get",
                    type="community",
                    description="Church lunch club on Wednesdays",
                    hours_per_month=8,
                ),
            ],
        ),
        now=now - timedelta(days=2),
    )


def _load_review(coordinator: User, plan, now) -> None:
    """Farhan's plan: one review done (with him, by the coordinator), then version 2 agreed with
    the NHS team, and what he said tagged with the organisation's themes."""
    from datetime import timedelta

    from .peers import plans, reviews, voice
    from .peers.models import MemberVoice

    mosque, cooking = plan.outcome_items
    review = reviews.record_review(
        db.session,
        actor=coordinator,
        plan_id=plan.id,
        answers=reviews.ReviewAnswers(
            outcomes=[
                reviews.OutcomeAnswer(mosque.id, "achieved", "I go every Friday with Joe now"),
                reviews.OutcomeAnswer(cooking.id, "partly", "Soup and rice, not much else yet"),
            ],
            wellbeing={
                "in_control": 3,
                "things_that_matter": 3,
                "part_of_community": 3,
                "someone_who_understands": 4,
                "hopeful": 3,
            },
            what_worked="Talking to someone who lives with MS too",
            what_did_not="Waiting weeks for the physio to start",
            quote_permission=True,
            paid_delivery="partly",
            give_and_get_delivery="as_planned",
            changes="More help with cooking; fewer physio sessions",
        ),
        now=now - timedelta(days=6),
    )
    details = plans.details_of(plan)
    details.outcomes = [*details.outcomes, "I want to cook a meal for my nephews"]
    details.supports = [
        line for line in details.supports if line.description != "Physiotherapy sessions"
    ]
    details.supports.append(
        plans.SupportLine(
            kind="paid",
            description="Cooking lessons at the community kitchen",
            provider="Chapeltown Kitchen",
            annual_pence=470_000,
        )
    )
    details.reason = "Agreed with the NHS team at the review: cooking lessons instead of physio"
    plans.revise_plan(
        db.session, actor=coordinator, plan_id=plan.id, details=details, now=now - timedelta(days=5)
    )
    themes = voice.add_suggested_themes(db.session, actor=coordinator, now=now - timedelta(days=5))
    said = db.session.scalar(select(MemberVoice).where(MemberVoice.review_id == review.id))
    voice.tag_voice(
        db.session,
        actor=coordinator,
        voice_id=said.id,
        theme_ids=[t.id for t in themes if t.name in ("Peer support", "Waiting and delays")],
        now=now - timedelta(days=5),
    )


LISTINGS = [
    ("amina@example.org", "offer", "I can cook a hot meal for two", "cooking", "Weekday evenings"),
    ("brian@example.org", "offer", "Small repairs: taps, shelves, flat-pack", "diy", "Saturdays"),
    (
        "chloe@example.org",
        "request",
        "Someone to come with me to hospital appointments",
        "transport",
        "Tuesdays",
    ),
    ("david@example.org", "offer", "Help with forms and letters", "paperwork", "Mornings"),
    (
        "esther@example.org",
        "offer",
        "Help writing a support plan: I have had a budget for 6 years",
        "support_planning",
        "Flexible",
    ),
    (
        "farhan@example.org",
        "request",
        "Help setting up a tablet for video calls",
        "technology",
        "Any afternoon",
    ),
    ("grace@example.org", "offer", "A friendly phone call once a week", "befriending", "Evenings"),
    (
        "harjit@example.org",
        "offer",
        "Punjabi and English conversation practice",
        "learning",
        "Weekends",
    ),
    ("ivy@example.org", "request", "Help with the garden before winter", "gardening", "Any day"),
    ("leon@example.org", "offer", "Walking a dog or feeding a cat", "pet_care", "Weekdays"),
]

EXCHANGES = [
    # (provider, receiver, minutes, category, days ago, description, confirmed)
    (
        "amina@example.org",
        "chloe@example.org",
        120,
        "cooking",
        20,
        "Cooked two meals for the freezer",
        True,
    ),
    ("brian@example.org", "ivy@example.org", 90, "diy", 18, "Fixed a dripping kitchen tap", True),
    (
        "esther@example.org",
        "farhan@example.org",
        180,
        "support_planning",
        15,
        "Worked through the support plan together",
        True,
    ),
    (
        "david@example.org",
        "Kath Murphy",
        60,
        "paperwork",
        12,
        "Helped with a housing benefit letter",
        True,
    ),
    ("grace@example.org", "harjit@example.org", 30, "befriending", 9, "Weekly phone call", True),
    ("harjit@example.org", "amina@example.org", 60, "learning", 6, "Conversation practice", True),
    (
        "leon@example.org",
        "joseph@example.org",
        45,
        "pet_care",
        3,
        "Fed the cats while Joseph was in hospital",
        False,
    ),
    (
        "farhan@example.org",
        "esther@example.org",
        60,
        "technology",
        2,
        "Set up a video-call app",
        False,
    ),
]


def _load_timebank(organisation: Organisation, people: dict[str, User], now) -> None:
    """Listings and exchanges, added only when the demo organisation has none yet."""
    from datetime import timedelta

    from .clock import london_date
    from .timebank import exchanges, listings
    from .timebank.models import Exchange, Listing
    from .timebank.services import member_account

    coordinator = people[COORDINATOR[1]]
    if not db.session.scalar(select(Listing.id).where(Listing.organisation_id == organisation.id)):
        for email, kind, title, category, availability in LISTINGS:
            listings.create_listing(
                db.session,
                actor=people[email],
                new=listings.NewListing(
                    kind=kind, title=title, category=category, availability=availability
                ),
                now=now,
            )
    if db.session.scalar(select(Exchange.id).where(Exchange.organisation_id == organisation.id)):
        return
    for provider, receiver, minutes, category, days_ago, description, confirmed in EXCHANGES:
        giver, getter = people[provider], people[receiver]
        exchanges.record_exchange(
            db.session,
            # a coordinator's record is confirmed at once; a member's waits for the other party
            actor=coordinator if confirmed else giver,
            new=exchanges.NewExchange(
                provider=member_account(db.session, giver),
                receiver=member_account(db.session, getter),
                minutes=minutes,
                category=category,
                occurred_on=london_date(now) - timedelta(days=days_ago),
                description=description,
            ),
            now=now - timedelta(days=days_ago),
        )


def _load_inbox(people: dict[str, User], now, base_url: str) -> None:
    """A few messages, as the scheduled jobs would send them, added once."""
    from .notifications import services as inbox
    from .notifications.models import Notification

    amina = people["amina@example.org"]
    if db.session.scalar(select(Notification.id).where(Notification.recipient_id == amina.id)):
        return
    messages = [
        (
            amina,
            inbox.LISTING_EXPIRING,
            "Your listing “I can cook a hot meal for two” expires soon. Renew it to keep it in "
            "the listings.",
            "/listings/mine",
        ),
        (
            amina,
            inbox.WEEKLY_DIGEST,
            "New this week in LS6: 1 offer and 0 requests.\n- Offer: Small repairs: taps, "
            "shelves, flat-pack",
            "/listings",
        ),
        (
            people["Kath Murphy"],
            inbox.EXCHANGE_PENDING,
            "An exchange with Joseph Brown is waiting for you to confirm it or turn it down.",
            "/exchanges",
        ),
    ]
    for person, kind, text, link in messages:
        inbox.notify(
            db.session,
            recipient=person,
            kind=kind,
            text=text,
            link=link,
            now=now,
            base_url=base_url,
        )


@click.command("seed-demo", help="Load the demo organisation, people, listings and exchanges.")
@with_appcontext
def seed_demo() -> None:
    load_demo()
    db.session.commit()
    click.echo(f"Demo data ready for {DEMO_ORGANISATION}. Every demo password is {DEMO_PASSWORD}")
    click.echo(f"  coordinator: {COORDINATOR[1]}")
    click.echo(f"  admin:       {ADMIN[1]}")
    click.echo(f"  member:      {MEMBERS[0][1]}")
    click.echo("  budget holder with a signed-off plan: farhan@example.org")
    click.echo("  approved peer: esther@example.org")
    click.echo(f"  partner organisation's coordinator: {PARTNER_COORDINATOR[1]}")
