"""Visit every route in Flask's URL map as every kind of person, with real ids in every URL.

Shared by the authorisation matrix (tests/web/test_authorisation_matrix.py) and the test that an
erased or withdrawn person shows on no page or endpoint (tests/web/test_privacy_everywhere.py).

``visit`` runs each request inside a savepoint that is rolled back afterwards, so a POST that
confirms, erases or signs out changes nothing for the next visit: every answer is the answer to
that one request against the same world.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Rule

from app.extensions import db
from tests.factories import TEST_PASSWORD

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Visit one static file; every other path argument is an id (or a one-time token) from the world.
FIXED_ARGUMENTS = {"filename": "app.css", "token": "no-such-token"}
ARGUMENT = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # as Flask spells it: /members/<id:member_id>/export

    @property
    def key(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")


def routes(app: Flask) -> list[Route]:
    found: list[Route] = []
    rule: Rule
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            found.append(Route(method, rule.rule))
    return sorted(found, key=lambda r: (r.rule, r.method))


def path_for(route: Route, ids: dict[str, int | str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in FIXED_ARGUMENTS:
            return FIXED_ARGUMENTS[name]
        if name not in ids:
            raise AssertionError(
                f"{route.key}: no id for <{name}>. Add one to the world's ids in "
                "tests/route_matrix.py (build_world)."
            )
        return str(ids[name])

    return ARGUMENT.sub(fill, route.rule)


def _today() -> str:
    from app.clock import london_date, utcnow

    return london_date(utcnow()).isoformat()


# A valid body for the routes that check their input before who is asking: without one every
# role would get the same 422 and the matrix would prove nothing about them. JSON for the API,
# form fields for pages; each is a function of the world's ids.
BODIES = {
    "POST /api/v1/exchanges/<id:exchange_id>/reverse": lambda ids: {"reason": "Entered twice"},
    "POST /api/v1/matches/<id:match_id>/check-ins": lambda ids: {"note": "Going well"},
    "POST /api/v1/matches/<id:match_id>/close": lambda ids: {"outcome": "More confident"},
    "POST /api/v1/matches/<id:match_id>/decline": lambda ids: {"reason": "Too far to travel"},
    "POST /api/v1/matches/<id:match_id>/support": lambda ids: {
        "minutes": 60,
        "occurred_on": _today(),
    },
    "POST /api/v1/organisations/<id:organisation_id>/settings": lambda ids: {
        "min_balance_minutes": -600,
        "max_balance_minutes": 6000,
        "hourly_rate_pence": 1500,
    },
    "POST /api/v1/plans/<id:plan_id>/versions": lambda ids: {
        "budget_pence": 0,
        "management": "notional",
        "reason": "Changed at the review",
    },
    "POST /api/v1/partnerships": lambda ids: {
        "partner_organisation_id": ids["prospective_organisation_id"],
        "limit_minutes": 600,
    },
    "POST /api/v1/plans/<id:plan_id>/sign-off": lambda ids: {
        "wants_peer_support": False,
        "willing_to_support_others": False,
    },
    "POST /api/v1/chest/grants": lambda ids: {
        "member_id": ids["member_id"],
        "minutes": 60,
        "reason": "Welcome",
    },
    "POST /api/v1/members": lambda ids: {
        "name": "A new member",
        "organisation_id": ids["organisation_id"],
    },
    "POST /api/v1/organisations": lambda ids: {"name": "A new organisation"},
    "POST /api/v1/conditions": lambda ids: {"code": "new_code", "name": "A new one", "group": "g"},
    "POST /api/v1/peers": lambda ids: {
        "member_id": ids["other_member_id"],
        "support_types": ["talk"],
        "modes": ["phone"],
    },
    "POST /api/v1/plans": lambda ids: {
        "member_id": ids["other_member_id"],
        "budget_pence": 0,
        "management": "notional",
    },
    "POST /api/v1/referrals": lambda ids: {
        "member_id": ids["other_member_id"],
        "support_types": ["talk"],
        "modes": ["phone"],
    },
    "POST /api/v1/matches": lambda ids: {
        "referral_id": ids["referral_id"],
        "peer_id": ids["other_peer_id"],
    },
    "POST /referrals/<id:referral_id>/propose": lambda ids: {"peer_id": ids["other_peer_id"]},
    # A GET's "body" is its query string.
    "GET /api/v1/reports/contribution": lambda ids: {"from": "2026-01-01", "to": "2026-01-31"},
}


class Visitor:
    """One person (or nobody), signed in once on the page side and holding an API token."""

    def __init__(self, app: Flask, user=None) -> None:
        from tests.helpers import bearer

        self.app = app
        self.user = user
        self.client = app.test_client()
        self.headers: dict[str, str] = {}
        self.cookie: str | None = None
        if user is not None:
            self.headers = bearer(user)
            response = self.client.post(
                "/sign-in", data={"email": user.email, "password": TEST_PASSWORD}
            )
            assert response.status_code == 302, f"{user.email} could not sign in"
            self.cookie = self.client.get_cookie("session").value

    def request(self, route: Route, path: str, body: dict | None = None):
        if self.cookie is not None:
            self.client.set_cookie("session", self.cookie)
        else:
            self.client.delete_cookie("session")
        if route.method == "GET":
            headers = self.headers if route.is_api else {}
            return self.client.open(path, method="GET", headers=headers, query_string=body)
        if route.is_api:
            return self.client.open(path, method=route.method, headers=self.headers, json=body)
        return self.client.open(path, method=route.method, data=body)


def visit(visitor: Visitor, route: Route, path: str, ids: dict | None = None):
    """Answer one request, then undo whatever it wrote."""
    connection = db.engines[None]
    db.session.remove()  # its next savepoint opens inside ours, so ours outlives its commits
    savepoint = connection.begin_nested()
    try:
        make_body = BODIES.get(route.key)
        return visitor.request(route, path, make_body(ids) if make_body and ids else None)
    finally:
        db.session.remove()
        if savepoint.is_active:
            savepoint.rollback()


# --- what an answer means --------------------------------------------------------------------

ALLOWED = "O"  # answered: a page, a redirect onwards, or a refusal about the data (400, 409, 422)
SIGN_IN = "L"  # must sign in first: 401 on the API, a redirect to the sign-in page on pages
FORBIDDEN = "F"  # 403: they can see it exists, their role lacks the right
HIDDEN = "H"  # 404: not there, or outside their reach (its existence is not revealed)


def answer(response) -> str:
    status = response.status_code
    if status == 401 or (
        status in (301, 302, 303) and "/sign-in" in response.headers.get("Location", "")
    ):
        return SIGN_IN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return HIDDEN
    if status < 400 or status in (400, 409, 422):
        return ALLOWED
    return f"status {status}"


def texts(visitor: Visitor, all_routes: list[Route], ids: dict, methods=("GET",)) -> Iterator:
    """(route, path, body text) for every route of these methods: for content checks."""
    for route in all_routes:
        if route.method not in methods or route.rule.endswith(".pdf"):
            continue  # the PDF is the pack page's HTML rendered again, and slow to render
        path = path_for(route, ids)
        response = visit(visitor, route, path, ids)
        assert response.status_code < 500, (route.key, response.status_code)
        yield route, path, response.get_data().decode("utf-8", "replace")


# --- the world every route is visited in -----------------------------------------------------


@dataclass
class World:
    people: dict[str, object]  # role name → user (None for anonymous)
    ids: dict[str, int | str]  # URL argument name → an id belonging to the member


ROLES = ("anonymous", "member", "other_member", "outsider", "coordinator", "admin")


def build_world(session) -> World:
    """One organisation where ``member`` holds one of everything a URL can name (an exchange,
    a listing, a notification, a plan with a support line, a referral with a proposed match, a
    peer profile); ``other_member`` belongs to it and holds nothing; ``outsider`` coordinates
    another organisation; ``admin`` administers the deployment from a third."""
    from tests import factories as f

    organisation = f.OrganisationFactory()
    member = f.UserFactory(organisation=organisation, postcode="LS6 2AB")
    coordinator = f.CoordinatorFactory(organisation=organisation)
    other_member = f.UserFactory(organisation=organisation)
    neighbour = f.UserFactory(organisation=organisation)  # the other side of the exchange
    outsider = f.CoordinatorFactory()
    admin = f.AdminFactory()
    f.MemberConditionFactory(member=member)
    exchange = f.ExchangeFactory(provider=member, receiver=neighbour)
    listing = f.ListingFactory(user=member)
    notification = f.NotificationFactory(recipient=member)
    plan = f.SupportPlanFactory(member=member, coordinator=coordinator)
    referral = f.ReferralFactory(member=member, coordinator=coordinator, status="proposed")
    match = f.MatchFactory(referral=referral)
    peer = f.ApprovedPeerProfileFactory(member=member)
    other_peer = f.ApprovedPeerProfileFactory(member=neighbour)
    snapshot = f.ReportSnapshotFactory(organisation=organisation, disclosure="coordinator")
    token = f.ApiTokenFactory(user=member)
    arrangement = f.ActingArrangementFactory(member=member, coordinator=coordinator)
    partnership = f.PartnershipFactory(organisation=organisation)  # with a fourth organisation
    review = f.PlanReviewFactory(
        plan=f.SignedOffSupportPlanFactory(member=neighbour, coordinator=coordinator)
    )
    voice = f.MemberVoiceFactory(review=review)
    theme = f.VoiceThemeFactory(organisation=organisation)
    prospective = f.OrganisationFactory()  # a partnership may be proposed to it
    session.commit()
    return World(
        people={
            "anonymous": None,
            "member": member,
            "other_member": other_member,
            "outsider": outsider,
            "coordinator": coordinator,
            "admin": admin,
        },
        ids={
            "member_id": member.id,
            "exchange_id": exchange.id,
            "listing_id": listing.id,
            "notification_id": notification.id,
            "plan_id": plan.id,
            "support_id": plan.supports[0].id,
            "referral_id": referral.id,
            "match_id": match.id,
            "peer_id": peer.id,
            "organisation_id": organisation.id,
            "other_member_id": other_member.id,
            "other_peer_id": other_peer.id,
            "snapshot_id": snapshot.id,
            "token_id": token.id,
            "arrangement_id": arrangement.id,
            "partnership_id": partnership.id,
            "voice_id": voice.id,
            "theme_id": theme.id,
            "prospective_organisation_id": prospective.id,
        },
    )
