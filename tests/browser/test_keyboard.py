"""A coordinator's journey with the keyboard alone: sign in, add a member, sign out.

Only page.keyboard drives the page after the first address is loaded: no clicks and no filling
of elements found by selector. Every link, button and field reached must show its focus.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.clock import london_date, utcnow
from app.demo import DEMO_PASSWORD
from tests.browser.checks import (
    assert_axe_clean,
    assert_focus_visible,
    assert_no_horizontal_scroll,
    describe,
    focused_element,
)
from tests.browser.pages import COORDINATOR, MEMBER

pytestmark = pytest.mark.browser

# Long enough for the members table, where each row has its own acting and data links.
MAX_TABS = 150


def tab_to(page: Page, *, name: str | None = None, id: str | None = None, back: bool = False):
    """Press Tab (Shift+Tab with `back`) until the focused element has this name or id, checking
    the focus is visible on everything passed on the way."""
    key = "Shift+Tab" if back else "Tab"
    visited = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        element = focused_element(page)
        visited.append(describe(element))
        if element is not None and element["tag"] in ("a", "button", "input"):
            assert_focus_visible(page)
        if element is not None and (
            (name is not None and " ".join((element["name"] or "").split()) == name)
            or (id is not None and element["id"] == id)
        ):
            return element
    raise AssertionError(
        f"{key} never reached {name or id!r} on {page.url}; visited: {', '.join(visited)}"
    )


def sign_in_by_keyboard(page: Page, email: str) -> None:
    page.goto("/sign-in")
    tab_to(page, id="email")
    page.keyboard.type(email)
    tab_to(page, id="password")
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, name="Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))


def test_coordinator_adds_a_member_with_the_keyboard_alone(page: Page):
    sign_in_by_keyboard(page, COORDINATOR)
    expect(page.locator("h1")).to_have_text("Hello, Sam Okafor")

    # Members, from the header navigation, then the "Add a member" button-styled link (Space).
    tab_to(page, name="Members")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/members$"))
    tab_to(page, name="Add a member")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/members/new$"))
    expect(page.locator("h1")).to_have_text("Add a member")

    # The form: name, postcode, then back (Shift+Tab) to the email, then submit.
    email = f"keyboard-{uuid.uuid4().hex[:8]}@example.org"
    tab_to(page, id="name")
    page.keyboard.type("Kim Keyboard")
    tab_to(page, id="postcode")
    page.keyboard.type("LS6 2AB")
    tab_to(page, id="email", back=True)
    page.keyboard.type(email)
    role = tab_to(page, id="role")  # the checked radio: Member
    assert role["type"] == "radio"
    tab_to(page, name="Add member")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/members$"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("The member is added and an invitation is sent to their email")
    expect(page.get_by_role("rowheader", name="Kim Keyboard")).to_be_visible()

    # Sign out, from the header navigation.
    tab_to(page, name="Sign out")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sign-in$"))
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have signed out"
    )
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def tab_to_prefix(page: Page, prefix: str):
    """Tab until the focused element's accessible name starts with ``prefix``."""
    for _ in range(MAX_TABS * 2):
        page.keyboard.press("Tab")
        element = focused_element(page)
        if element is not None and (element["name"] or "").startswith(prefix):
            assert_focus_visible(page)
            return element
    raise AssertionError(f"Tab never reached a control named {prefix!r} on {page.url}")


def test_members_record_and_confirm_an_exchange_with_the_keyboard_alone(new_page):
    # Ivy records that she gave Leon half an hour.
    page = new_page("ivy@example.org")
    page.goto("/exchanges/new")
    tab_to(page, id="direction")
    page.keyboard.press("Space")
    tab_to(page, id="other")
    page.keyboard.type("Leon")
    tab_to(page, id="minutes")
    page.keyboard.type("30m")
    tab_to(page, id="category")
    page.keyboard.type("Company")
    tab_to(page, id="description")
    page.keyboard.type("A walk round the park")
    tab_to(page, name="Record exchange")
    page.keyboard.press("Enter")
    banner = page.locator(".govuk-notification-banner--success")
    # The banner names nobody (it travels in the session cookie); the exchange page does.
    expect(banner).to_contain_text("waiting for the other person to confirm")
    expect(page.locator("main")).to_contain_text("Leon Ward")

    # Leon confirms it from his list of exchanges waiting for him.
    page = new_page("leon@example.org")
    page.goto("/exchanges")
    tab_to_prefix(page, "Confirm")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    page.goto("/hours")
    expect(page.locator("main")).to_contain_text("A walk round the park")


def tab_to_id(page: Page, element_id: str, limit: int = 120):
    """Like tab_to, for long forms (the conditions list has about fifty checkboxes)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused_element(page)
        if element is not None and element["id"] == element_id:
            assert_focus_visible(page)
            return element
    raise AssertionError(f"Tab never reached #{element_id} on {page.url}")


def test_coordinator_signs_a_plan_off_with_the_keyboard_alone(new_page):
    page = new_page(COORDINATOR)
    # Set-up (not under test): a fresh draft plan for David.
    page.goto("/plans/new?member=6")
    page.locator("#budget").fill("0")
    page.locator("#management").check()
    page.locator("#outcomes").fill("Keep my flat and garden as I like them")
    page.get_by_role("button", name="Save the draft plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    plan_path = page.url.split("#")[0]

    # The sign-off form, by keyboard alone.
    page.goto(plan_path + "/sign-off")
    tab_to_id(page, "wants_peer_support")
    page.keyboard.press("Space")  # yes, they would like peer support
    tab_to_id(page, "condition_codes-sight_loss")
    page.keyboard.press("Space")
    tab_to_id(page, "support_types")
    page.keyboard.press("Space")  # a chat
    tab_to_id(page, "modes-phone")
    page.keyboard.press("Space")
    tab_to_id(page, "health_data_consent")
    page.keyboard.press("Space")
    tab_to_id(page, "willing_to_support_others")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys: "no"
    tab_to_prefix(page, "Sign off the plan")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("signed off")
    page.goto("/referrals")  # the referral waits in the queue, with what David lives with
    expect(page.locator("main")).to_contain_text("David Clarke")
    expect(page.locator("main")).to_contain_text("Sight loss")


def test_coordinator_records_a_review_with_the_keyboard_alone(new_page):
    page = new_page(COORDINATOR)
    # Set-up (not under test): a signed-off plan for David with one outcome.
    page.goto("/plans/new?member=6")
    page.locator("#budget").fill("0")
    page.locator("#management").check()
    page.locator("#outcomes").fill("Walk to the park every day")
    page.get_by_role("button", name="Save the draft plan").click()
    plan_path = page.url.split("#")[0]
    page.goto(plan_path + "/sign-off")
    page.locator("#wants_peer_support-no").check()
    page.locator("#willing_to_support_others-no").check()
    page.get_by_role("button", name="Sign off the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("signed off")

    # The review form, by keyboard alone.
    page.goto(plan_path + "/reviews/new")
    outcome = page.locator("input[name^='outcome_']").first.get_attribute("id")
    tab_to_id(page, outcome)
    page.keyboard.press("Space")  # achieved
    page.keyboard.press("Tab")  # the sentence in their words
    page.keyboard.type("I go with my neighbour now")
    tab_to_id(page, "wellbeing_in_control")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys: "a little true"
    tab_to_id(page, "what_worked")
    page.keyboard.type("Having a walking buddy")
    tab_to_id(page, "quote_permission")
    page.keyboard.press("Space")
    tab_to_prefix(page, "Record the review")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The review is recorded"
    )
    expect(page.locator("#reviews ~ .govuk-summary-card").first).to_contain_text(
        "I go with my neighbour now"
    )


def test_propose_accept_and_introduce_a_peer_with_the_keyboard_alone(new_page):
    # The coordinator opens Farhan's best peers and proposes Esther.
    page = new_page(COORDINATOR)
    page.goto("/referrals/1/candidates")
    tab_to(page, name="Propose Esther Mensah")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The peer has been asked"
    )
    match_path = re.search(r"/matches/\d+$", page.url).group(0)

    # Esther sees no name before the introduction, and accepts.
    page = new_page("esther@example.org")
    page.goto(match_path)
    expect(page.locator("h1")).to_have_text("Someone would like your support")
    expect(page.locator("main")).not_to_contain_text("Farhan")
    tab_to(page, name="Accept")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You accepted")

    # Farhan agrees to the introduction; Esther's name and email are his to see.
    page = new_page("farhan@example.org")
    page.goto(match_path)
    tab_to(page, name="Agree to the introduction")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Introduced")
    expect(page.locator("h1")).to_have_text("Your peer, Esther Mensah")


def test_coordinator_acts_for_a_member_without_email_with_the_keyboard_alone(page: Page):
    sign_in_by_keyboard(page, COORDINATOR)

    # Members, then "Act for Kath Murphy" (Kath has no email: she asked Sam to act for her).
    tab_to(page, name="Members")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/members$"))
    tab_to(page, name="Act for Kath Murphy")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/members/13/acting$"))
    tab_to(page, name="Start acting for Kath Murphy")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    # The banner names both and is a labelled region; the page is Kath's.
    banner = page.get_by_role("region", name="Acting for Kath Murphy")
    expect(banner).to_contain_text("Sam Okafor, you are acting for Kath Murphy")
    expect(page.locator("h1")).to_have_text("Hello, Kath Murphy")
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
    assert_axe_clean(page)
    wide = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})  # the banner reflows too
    assert_no_horizontal_scroll(page, "the acting banner at 320 px")
    page.set_viewport_size(wide)

    # Record an exchange for Kath: she gave David half an hour.
    tab_to(page, name="Record an exchange")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/exchanges/new$"))
    tab_to(page, id="direction")
    page.keyboard.press("Space")
    tab_to(page, id="other")
    page.keyboard.type("David")
    tab_to(page, id="minutes")
    page.keyboard.type("30m")
    tab_to(page, id="category")
    page.keyboard.type("Company")
    tab_to(page, id="description")
    page.keyboard.type("Kath read to David")
    tab_to(page, name="Record exchange")
    page.keyboard.press("Enter")
    # The banner names nobody (it travels in the session cookie); the exchange page does.
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The exchange is recorded"
    )
    expect(page.locator("main")).to_contain_text("David Clarke")

    # Read her inbox, from the header navigation (it counts her one unread message).
    tab_to_prefix(page, "Inbox")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inbox$"))
    expect(page.locator("h1")).to_have_text("Your inbox")
    expect(page.locator("main")).to_contain_text("Joseph Brown")

    # Stop acting, from the banner: back to the coordinator's own pages.
    tab_to(page, name="Stop acting for Kath Murphy", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/members/13/acting$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have stopped acting for Kath Murphy"
    )
    expect(page.get_by_role("region", name="Acting for Kath Murphy")).to_have_count(0)

    # The audit shows it: coordinator Sam Okafor acting for member Kath Murphy.
    page.goto("/audit?member=13")
    main = page.locator("main")
    expect(main).to_contain_text("Sam Okafor, acting for Kath Murphy")
    expect(main).to_contain_text("Recorded an exchange")
    expect(main).to_contain_text("Read your inbox")


def test_members_of_partner_organisations_exchange_with_the_keyboard_alone(new_page):
    # Una, of the partner housing co-op, records that Amina (who offers meals) cooked for her.
    page = new_page("una@example.org")
    page.goto("/exchanges/new")
    tab_to(page, id="direction")
    page.keyboard.press("ArrowDown")  # "I received time"
    tab_to(page, id="other")
    page.keyboard.type("Amina")
    tab_to(page, id="minutes")
    page.keyboard.type("45m")
    tab_to(page, id="category")
    page.keyboard.type("Cooking")
    tab_to(page, id="description")
    page.keyboard.type("A hot meal across town")
    tab_to(page, name="Record exchange")
    page.keyboard.press("Enter")
    # The banner names nobody (it travels in the session cookie); the exchange page does.
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The exchange is recorded"
    )
    expect(page.locator("main")).to_contain_text("Amina Hussain")

    # Amina confirms it from her list; her coordinator sees Una's name, nothing more.
    page = new_page("amina@example.org")
    page.goto("/exchanges")
    tab_to_prefix(page, "Confirm")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    page.goto("/hours")
    expect(page.locator("main")).to_contain_text("A hot meal across town")


def test_peer_logs_support_time_and_the_person_confirms_it_with_the_keyboard_alone(new_page):
    # Grace, introduced to Chloe (match 1), records yesterday's time on the match page.
    day = london_date(utcnow()) - timedelta(days=1)  # after the introduction, never in the future
    day_text = f"{day.day} {day:%B %Y}"
    page = new_page("grace@example.org")
    page.goto("/matches/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Supporting Chloe Evans")
    tab_to(page, id="minutes")
    page.keyboard.type("50")
    tab_to(page, id="occurred_on")  # the day box; month and year follow
    page.keyboard.type(str(day.day))
    tab_to(page, id="occurred_on-month")
    page.keyboard.type(str(day.month))
    tab_to(page, id="occurred_on-year")
    page.keyboard.type(str(day.year))
    tab_to(page, id="description")
    page.keyboard.type("Went to the pharmacy together")
    tab_to(page, name="Record the time")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/matches/1$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Peer-support time recorded."
    )
    logged = (
        page.get_by_role("table", name="Time given")
        .get_by_role("row")
        .filter(has_text="Went to the pharmacy together")
    )
    expect(logged.get_by_role("cell")).to_have_text(
        [day_text, "Went to the pharmacy together", "50", "Pending"]
    )
    # The peer cannot confirm their own time.
    expect(page.get_by_role("button", name=re.compile(r"^Confirm"))).to_have_count(0)
    page.goto("/hours")  # pending time is not yet in her hours
    expect(page.get_by_role("rowheader", name="Went to the pharmacy together")).to_have_count(0)

    # Chloe, the person supported, confirms exactly that time from her match page.
    page = new_page("chloe@example.org")
    page.goto("/matches/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your peer, Grace Taylor")
    tab_to(page, name=f"Confirm 50 minutes on {day_text}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/matches/1$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Confirmed: the peer earns the hours from the organisation."
    )
    confirmed = (
        page.get_by_role("table", name="Time given")
        .get_by_role("row")
        .filter(has_text="Went to the pharmacy together")
    )
    expect(confirmed.get_by_role("cell")).to_have_text(
        [day_text, "Went to the pharmacy together", "50", "Confirmed"]
    )
    expect(page.get_by_role("button", name=f"Confirm 50 minutes on {day_text}")).to_have_count(0)

    # Only now do Grace's hours move: 50 minutes in, from the organisation.
    page = new_page("grace@example.org")
    page.goto("/hours")
    movement = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Went to the pharmacy together")
    )
    expect(movement.get_by_role("cell").nth(2)).to_have_text("50 minutes")


def tab_to_role(page: Page, role: str, name: str | re.Pattern):
    """Tab until the one element with this role and accessible name (as a screen reader hears
    it, hidden text included, nothing truncated) has focus; its focus must show."""
    target = page.get_by_role(role, name=name, exact=True)
    expect(target).to_have_count(1)  # a name shared by two controls would not tell them apart
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            assert_focus_visible(page)
            return target
    raise AssertionError(f"Tab never reached the {role} named {name!r} on {page.url}")


def inbox_link(page: Page):
    """The header's Inbox link, which announces the unread count ("Inbox, 2 unread")."""
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Inbox")
    )


def inbox_named(unread: int) -> re.Pattern:
    """The Inbox link's accessible name (Chromium puts a space before the hidden comma)."""
    return re.compile(rf"^Inbox ?, {unread} unread$" if unread else r"^Inbox$")


def announced_unread(page: Page) -> int:
    """The unread count in the Inbox link's accessible name ("Inbox": none)."""
    snapshot = inbox_link(page).aria_snapshot()
    found = re.match(r'- link "Inbox(?: ?, (\d+) unread)?"', snapshot)
    assert found, f"the Inbox link reads {snapshot!r}"
    return int(found.group(1) or 0)


LISTING_MESSAGE = "Your listing “I can cook a hot meal for two” expires soon. Renew it to keep it in the listings."


def test_member_reads_their_inbox_with_the_keyboard_alone(new_page):
    # Amina reaches her inbox from the header navigation; the link counts what is unread.
    page = new_page(MEMBER)
    page.goto("/")
    unread = announced_unread(page)
    assert unread >= 1, "the demo gives Amina unread messages"
    tab_to_role(page, "link", inbox_named(unread))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inbox$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inbox")
    expect(page.locator("main")).to_contain_text(
        f"You have {unread} unread message{'s' if unread > 1 else ''}."
    )

    # She opens the message about her listing: it leads to her listings.
    tab_to_role(page, "link", re.compile(rf"^Go to it ?: {re.escape(LISTING_MESSAGE)}$"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/listings/mine$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your listings")

    # Back to the inbox from the header (opening a message does not mark it read) ...
    tab_to_role(page, "link", inbox_named(unread))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inbox$"))

    # ... and she marks that message as read: its button names the message it is for.
    tab_to_role(page, "button", f"Mark as read {LISTING_MESSAGE}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inbox$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Marked as read.")
    left = unread - 1
    expect(page.locator("main")).to_contain_text(
        f"You have {left} unread message{'s' if left > 1 else ''}."
        if left
        else "You have no unread messages."
    )
    expect(page.get_by_role("button", name=f"Mark as read {LISTING_MESSAGE}")).to_have_count(0)
    assert announced_unread(page) == left
    tab_to_role(page, "link", inbox_named(left))
