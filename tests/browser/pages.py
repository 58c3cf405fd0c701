"""Every page the browser layer checks: add a row when you add a page.

Each row is visited (signed in as `who`, or anonymously when `who` is None) and must answer
`status`, have exactly one h1 reading `h1`, `<html lang>`, a working skip link and no axe
violations. Pages that need a state first (form errors, a token) live in test_pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.demo import DEMO_ORGANISATION, EXCHANGES, PARTNER_COORDINATOR

ADMIN = "admin@example.org"
COORDINATOR = "coordinator@example.org"
MEMBER = "amina@example.org"
BUDGET_HOLDER = "farhan@example.org"  # signed-off plan 1, referral 1, draft peer profile 2
PEER = "esther@example.org"  # approved peer 1
PARTNER = PARTNER_COORDINATOR[1]  # the partner organisation's coordinator
# The exchange across (loaded last: after the timebank's and the two of peer support).
ACROSS_ID = len(EXCHANGES) + 3


@dataclass(frozen=True)
class Page:
    who: str | None
    path: str
    h1: str
    status: int = 200

    @property
    def id(self) -> str:
        return f"{(self.who or 'anonymous').split('@')[0]}:{self.path}"


PAGES: list[Page] = [
    # Anyone
    Page(None, "/", "Give and Get"),
    Page(None, "/sign-in", "Sign in"),
    Page(None, "/about", "About Give and Get"),
    Page(None, "/password/forgot", "Reset your password"),
    Page(None, "/no-such-page", "Page not found", status=404),
    # A member
    Page(MEMBER, "/", "Hello, Amina Hussain"),
    Page(MEMBER, "/hours", "Your hours"),
    Page(MEMBER, "/exchanges", "Exchanges"),
    Page(MEMBER, "/exchanges/new", "Record an exchange"),
    Page(MEMBER, "/exchanges/new?listing=2", "Record an exchange"),
    Page(MEMBER, "/exchanges/1", "2 hours from Amina Hussain to Chloe Evans"),
    Page(MEMBER, "/exchanges/7", "Page not found", status=404),  # not hers
    Page(MEMBER, "/listings", "Listings"),
    Page(MEMBER, "/listings?kind=offer&category=diy&q=tap", "Listings"),
    Page(MEMBER, "/listings/mine", "Your listings"),
    Page(MEMBER, "/listings/new", "Add a listing"),
    Page(MEMBER, "/listings/2", "Small repairs: taps, shelves, flat-pack"),
    Page(MEMBER, "/directory", "Directory"),
    Page(MEMBER, "/directory/me", "Your directory entry"),
    Page(MEMBER, "/chest/donate", "Give hours to the community chest"),
    Page(MEMBER, "/chest/grant", "You cannot see this page", status=403),
    Page(MEMBER, "/members", "You cannot see this page", status=403),
    Page(MEMBER, "/plans", "Your support plan"),
    Page(MEMBER, "/members/3/health", "Your health conditions and consent"),
    Page(MEMBER, "/members/4/health", "Page not found", status=404),
    Page(MEMBER, "/conditions", "Conditions"),
    Page(MEMBER, "/referrals", "You cannot see this page", status=403),
    Page(MEMBER, "/inbox", "Your inbox"),  # two unread: Mark as read, Mark all as read
    Page(MEMBER, "/inbox/preferences", "Your messages and email"),
    Page(MEMBER, "/dashboard", "You cannot see this page", status=403),
    Page(MEMBER, "/members/13/inbox", "Page not found", status=404),
    # A coordinator
    Page(COORDINATOR, "/", "Hello, Sam Okafor"),
    Page(COORDINATOR, "/exchanges", "Exchanges"),
    Page(COORDINATOR, "/exchanges/new", "Record an exchange"),
    Page(COORDINATOR, "/exchanges/1", "2 hours from Amina Hussain to Chloe Evans"),
    Page(COORDINATOR, "/exchanges/overdue", "Exchanges waiting more than a week"),
    Page(COORDINATOR, "/members/3/hours", "Hours for Amina Hussain"),
    Page(COORDINATOR, "/chest/grant", "Grant hours from the community chest"),
    Page(COORDINATOR, "/organisation/settings", f"Settings for {DEMO_ORGANISATION}"),
    Page(MEMBER, "/organisation/settings", "You cannot see this page", status=403),
    Page(COORDINATOR, "/plans", "Support plans"),
    Page(COORDINATOR, "/plans/new", "Write a support plan"),
    Page(COORDINATOR, "/referrals", "Referrals for peer support"),
    Page(COORDINATOR, "/referrals/new", "Refer someone for peer support"),
    Page(COORDINATOR, "/peers", "Peers"),
    Page(COORDINATOR, "/peers/new", "Add a peer"),
    Page(COORDINATOR, "/members/3/health", "Amina Hussain’s health conditions and consent"),
    Page(COORDINATOR, "/audit", "Audit trail"),
    Page(COORDINATOR, "/conditions", "Conditions"),
    Page(COORDINATOR, "/plans/1", "Farhan Iqbal"),
    Page(COORDINATOR, "/plans/2", "Chloe Evans"),
    Page(COORDINATOR, "/plans/2/sign-off", "Sign off Chloe Evans’s plan"),
    Page(COORDINATOR, "/plans/1/edit", "Change the plan for Farhan Iqbal"),
    Page(COORDINATOR, "/plans/2/supports/new", "Add a support"),
    Page(COORDINATOR, "/referrals/1", "Farhan Iqbal"),
    Page(COORDINATOR, "/peers/1", "Esther Mensah"),
    Page(COORDINATOR, "/peers/2", "Farhan Iqbal"),
    Page(COORDINATOR, "/peers/1/edit", "Change Esther Mensah’s details and checks"),
    Page(COORDINATOR, "/members/8/health", "Farhan Iqbal’s health conditions and consent"),
    Page(COORDINATOR, "/audit?member=8", "Audit trail for Farhan Iqbal"),
    # A budget holder and a peer see their own, and nobody else's
    Page(BUDGET_HOLDER, "/plans/1", "Your support plan"),
    Page(BUDGET_HOLDER, "/referrals/1", "Your referral"),
    Page(BUDGET_HOLDER, "/members/8/health", "Your health conditions and consent"),
    Page(BUDGET_HOLDER, "/peers/2", "Your peer profile"),
    Page(MEMBER, "/plans/1", "Page not found", status=404),
    Page(MEMBER, "/referrals/1", "Page not found", status=404),
    Page(PEER, "/peers/1", "Your peer profile"),
    Page(PEER, "/exchanges", "Exchanges"),  # one waiting for her: Confirm and Turn down
    Page(PEER, "/exchanges/8", "1 hour from Farhan Iqbal to Esther Mensah"),
    Page("leon@example.org", "/exchanges/7", "45 minutes from Leon Ward to Joseph Brown"),
    # An administrator (adds conditions to the taxonomy)
    Page(ADMIN, "/conditions", "Conditions"),
    # Sessions and tokens, and what coordinators did (issue 15)
    Page(MEMBER, "/account/tokens", "Sign-ins and API tokens"),
    Page(COORDINATOR, "/account/tokens", "Sign-ins and API tokens"),
    Page(ADMIN, "/admin/coordinator-activity", "Coordinator activity"),
    Page(COORDINATOR, "/admin/coordinator-activity", "You cannot see this page", status=403),
    Page(COORDINATOR, "/hours", "Your hours"),
    Page(COORDINATOR, "/members", f"Members of {DEMO_ORGANISATION}"),
    Page(COORDINATOR, "/members/new", "Add a member"),
    Page(COORDINATOR, "/dashboard", "What needs doing today"),
    Page(COORDINATOR, "/inbox", "Your inbox"),  # empty
    Page(COORDINATOR, "/members/13/inbox", "Waiting for Kath Murphy"),  # no email
    # Acting for a member: Kath (no email) asked the coordinator; a member sees who acts for her
    Page(COORDINATOR, "/members/13/acting", "Act for Kath Murphy"),
    Page(MEMBER, "/acting-for-you", "Who can act for you"),
    Page(MEMBER, "/members/13/acting", "Page not found", status=404),
    # Paper: the printable statement and plan summary (print stylesheet; PDFs beside them)
    Page(MEMBER, "/hours/statement", "Hours statement for Amina Hussain"),
    Page(COORDINATOR, "/members/13/statement", "Hours statement for Kath Murphy"),
    Page(BUDGET_HOLDER, "/plans/1/summary", "Support plan summary for Farhan Iqbal"),
    Page(COORDINATOR, "/plans/1/summary", "Support plan summary for Farhan Iqbal"),
    Page(MEMBER, "/plans/1/summary", "Page not found", status=404),
    # Matching: Farhan's referral (1) waits; Chloe is introduced to Grace (match 1); Ivy
    # (peer 5) has paused, which "Why not?" explains.
    Page(COORDINATOR, "/referrals/1/candidates", "Peers for Farhan Iqbal"),
    Page(COORDINATOR, "/referrals/1/candidates?peer=5", "Peers for Farhan Iqbal"),
    Page(COORDINATOR, "/matches", "Peer support matches"),
    Page(COORDINATOR, "/matches/1", "Chloe Evans and Grace Taylor"),
    Page(COORDINATOR, "/matching/batch", "Match everyone waiting"),
    Page("grace@example.org", "/matches/1", "Supporting Chloe Evans"),
    Page("grace@example.org", "/matches", "Peer support matches"),
    Page("chloe@example.org", "/matches/1", "Your peer, Grace Taylor"),
    Page(MEMBER, "/matches/1", "Page not found", status=404),
    Page(MEMBER, "/matching/batch", "You cannot see this page", status=403),
    # Reports: the coordinator's exact view, the pack fit to publish, and a member
    Page(COORDINATOR, "/reports", "Community contribution report"),
    Page(
        COORDINATOR,
        "/reports/pack?start=2026-01-01&end=2026-12-31&disclosure=published",
        f"{DEMO_ORGANISATION}: what our community gave",
    ),
    Page(MEMBER, "/reports", "You cannot see this page", status=403),
    # Reviews and outcomes: Farhan's plan 1 had one review, then version 2 (both in its history)
    Page(COORDINATOR, "/plans/1/reviews/new", "Review Farhan Iqbal’s plan"),
    Page(BUDGET_HOLDER, "/plans/1/reviews/new", "Review your support plan"),
    Page(
        COORDINATOR,
        "/plans/1/supports/6/remove",
        "Remove Personal assistant, 6 hours a week",
    ),
    Page(COORDINATOR, "/voice", "What members said"),
    Page(MEMBER, "/voice", "You cannot see this page", status=403),
    Page(MEMBER, "/plans/1/reviews/new", "Page not found", status=404),
    # Between organisations, and moving in
    Page(COORDINATOR, "/partnerships", "Partner organisations"),
    Page(MEMBER, "/partnerships", "Partner organisations"),
    Page(PARTNER, "/partnerships", "Partner organisations"),
    Page(PARTNER, f"/exchanges/{ACROSS_ID}", "1 hour from Amina Hussain to Tom Asante"),
    Page(PARTNER, "/members/3/hours", "Page not found", status=404),  # Amina: not theirs
    Page(MEMBER, "/directory", "Directory"),
    Page(COORDINATOR, "/import", "Move members in"),
    Page(MEMBER, "/import", "You cannot see this page", status=403),
    # Privacy rights: the printable export, and erasure's confirmation step
    Page(MEMBER, "/members/3/export", "Everything we hold about Amina Hussain"),
    Page(MEMBER, "/members/3/erase", "You cannot see this page", status=403),
    Page(COORDINATOR, "/members/8/export", "Everything we hold about Farhan Iqbal"),
    Page(COORDINATOR, "/members/3/erase", "Erase this person’s personal data"),
]
