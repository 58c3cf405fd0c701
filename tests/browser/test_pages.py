"""Every registered page, and the states with errors, in Chromium: structure, skip link and axe."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.checks import (
    assert_axe_clean,
    assert_language,
    assert_one_h1,
    assert_skip_link,
    check_page,
)
from tests.browser.pages import COORDINATOR, PAGES, Page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.id)
def test_page(new_page, case: Page):
    page = new_page(case.who)
    response = page.goto(case.path)
    assert response is not None
    assert response.status == case.status, f"{case.path}: {response.status}"
    check_page(page, case.h1)


def assert_error_state(page, h1: str, *, links_to: str) -> None:
    """An error summary that takes focus and links to the field, a titled page, and axe clean."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(summary.locator(f'a[href="#{links_to}"]')).to_have_count(1)
    assert page.title().startswith("Error: "), page.title()
    assert_language(page)
    assert_one_h1(page, h1)
    assert_axe_clean(page)
    assert_skip_link(page, first_tab=False)


def test_sign_in_with_nothing_entered(page):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    assert_error_state(page, "Sign in", links_to="email")
    expect(page.locator("#email-error")).to_contain_text("Enter your email address")
    expect(page.locator("#password-error")).to_contain_text("Enter your password")


def test_add_member_with_a_bad_email_and_postcode(new_page):
    page = new_page(COORDINATOR)
    page.goto("/members/new")
    page.get_by_label("Full name").fill("Nobody Valid")
    page.get_by_label("Email address (optional)").fill("not-an-email")
    page.get_by_label("Postcode (optional)").fill("XYZ")
    page.get_by_role("button", name="Add member").click()
    assert_error_state(page, "Add a member", links_to="email")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", "email-hint email-error")


def test_invitation_page(new_page, live_server):
    coordinator = new_page(COORDINATOR)
    email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    coordinator.goto("/members/new")
    coordinator.get_by_label("Full name").fill("Ivan Invited")
    coordinator.get_by_label("Email address (optional)").fill(email)
    coordinator.get_by_role("button", name="Add member").click()
    # The banner names nobody (it travels in the session cookie): the invitation is sent.
    expect(coordinator.locator(".govuk-notification-banner--success")).to_contain_text(
        "an invitation is sent to their email"
    )

    page = new_page(None)
    response = page.goto(live_server.invitation_path(email))
    assert response is not None and response.ok, response and response.status
    check_page(page, "Choose your password")

    # And its error state: two passwords that do not match. Load it afresh: the skip link above
    # left #main-content in the URL, and the form posts there, so the browser would move focus to
    # <main> after the error summary took it.
    page.goto(live_server.invitation_path(email))
    page.get_by_label("New password").fill("correct horse battery")
    page.get_by_label("Type the password again").fill("something else entirely")
    page.get_by_role("button", name="Save password and continue").click()
    assert_error_state(page, "Choose your password", links_to="confirm")


def test_record_an_exchange_with_nothing_entered(new_page):
    page = new_page(COORDINATOR)
    page.goto("/exchanges/new")
    page.get_by_role("button", name="Record exchange").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert page.title().startswith("Error: "), page.title()
    assert_one_h1(page, "Record an exchange")
    assert_axe_clean(page)


def test_add_a_listing_with_nothing_entered(new_page):
    page = new_page(COORDINATOR)
    page.goto("/listings/new")
    page.get_by_role("button", name="Publish listing").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_one_h1(page, "Add a listing")
    assert_axe_clean(page)


def test_password_reset_pages(new_page, live_server):
    page = new_page(None)
    page.goto("/password/forgot")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_role("button", name="Send the link").click()
    check_page(page, "Check your email")
    page.goto(live_server.link_path("grace@example.org", "/password/reset/"))
    check_page(page, "Choose a new password")


def test_error_summary_takes_focus_even_after_the_skip_link(page):
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link: the address now ends in #main-content
    assert page.url.endswith("#main-content")
    page.get_by_role("button", name="Sign in").click()
    assert "#" not in page.url  # forms post to their own path, never to the fragment
    expect(page.locator(".govuk-error-summary")).to_be_focused()


@pytest.mark.parametrize("path", ["/hours/statement", "/plans/1/summary"])
def test_paper_pages_print_in_large_type_without_navigation(new_page, path):
    from tests.browser.pages import BUDGET_HOLDER

    page = new_page(BUDGET_HOLDER)
    page.goto(path)
    expect(page.locator(".app-header")).to_be_visible()  # on screen, the usual page
    page.emulate_media(media="print")
    for chrome in (".app-header", ".govuk-footer", ".govuk-skip-link", ".app-no-print"):
        expect(page.locator(chrome).first).to_be_hidden()
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('main p, main td, main dd, main li')]
            .filter((el) => el.offsetParent !== null)
            .map((el) => parseFloat(getComputedStyle(el).fontSize))"""
    )
    assert sizes and min(sizes) >= 21, sizes  # 16 pt is 21.3 px: large type on paper


def test_import_check_and_bad_rows_pages(new_page, tmp_path):
    from tests.timeoverflow_export import timeoverflow_export

    members, transfers, _ = timeoverflow_export(5, 20, seed=3)
    (tmp_path / "members.csv").write_bytes(members)
    (tmp_path / "transfers.csv").write_bytes(transfers + b"100,member,999,member,60,x,\n")
    page = new_page(COORDINATOR)
    page.goto("/import")
    page.get_by_label("Members file (CSV)").set_input_files(str(tmp_path / "members.csv"))
    page.get_by_label("Transfers or history file (CSV)").set_input_files(
        str(tmp_path / "transfers.csv")
    )
    page.get_by_role("button", name="Check the files").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("transfers.csv, line 21")
    assert_language(page)
    assert_one_h1(page, "Move members in")
    assert_axe_clean(page)
    # Corrected, the dry run shows the reconciliation (and writes nothing until confirmed).
    (tmp_path / "transfers.csv").write_bytes(transfers)
    page.get_by_label("Members file (CSV)").set_input_files(str(tmp_path / "members.csv"))
    page.get_by_label("Transfers or history file (CSV)").set_input_files(
        str(tmp_path / "transfers.csv")
    )
    page.get_by_role("button", name="Check the files").click()
    check_page(page, "Check the import")
    expect(page.locator("main")).to_contain_text("Every member's balance equals the source's.")
