"""WCAG 1.4.10 Reflow: at 320 CSS pixels wide no page scrolls sideways, for every role.

Every page in pages.py, plus the pages of crowd rows, is loaded in a 320 px viewport against
an organisation crowded with long names, long email addresses and dozens of rows
(tests/browser/crowd.py). Wide tables may scroll inside their own region, which must be
reachable with the keyboard, named, and pass axe (scrollable-region-focusable).
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from tests.browser.checks import (
    REFLOW_VIEWPORT,
    assert_axe_clean,
    assert_no_horizontal_scroll,
    assert_scroll_regions_usable,
)
from tests.browser.conftest import page_maker
from tests.browser.pages import ADMIN, BUDGET_HOLDER, COORDINATOR, MEMBER, PAGES, Page

pytestmark = pytest.mark.browser

# Pages about the crowd's own rows; `{…}` is filled from tests.browser.crowd.Crowd.
CROWD_PAGES = [
    Page(COORDINATOR, "/members/{member_id}/hours", ""),
    Page(COORDINATOR, "/audit?member={member_id}", ""),
    Page(COORDINATOR, "/members/{member_id}/health", ""),
    Page(COORDINATOR, "/exchanges/{exchange_id}", ""),
    Page(COORDINATOR, "/referrals/{referral_id}", ""),
    Page(COORDINATOR, "/peers/{peer_id}", ""),
    Page(COORDINATOR, "/plans/{plan_id}", ""),
    Page(COORDINATOR, "/listings/{listing_id}", ""),
    Page(COORDINATOR, "/audit?page=2", ""),
    Page(COORDINATOR, "/listings", ""),
    Page(COORDINATOR, "/directory", ""),
    Page(ADMIN, "/members", ""),
    Page(MEMBER, "/directory/me", ""),
    Page(BUDGET_HOLDER, "/hours", ""),
]


@pytest.fixture(scope="session")
def crowded_states() -> dict[str, dict]:
    return {}


@pytest.fixture()
def narrow_page(browser, crowded_server, crowded_states):
    """`narrow_page(who)`: a 320 px wide page on the crowded server."""
    server, _ = crowded_server
    with page_maker(browser, server, crowded_states) as make:
        yield lambda who: make(who, viewport=REFLOW_VIEWPORT)


@pytest.mark.parametrize("case", PAGES + CROWD_PAGES, ids=lambda case: case.id)
def test_page_reflows_at_320_px(narrow_page, crowded_server, case: Page):
    _, crowd = crowded_server
    path = case.path.format(**asdict(crowd))
    name = f"{case.who or 'anonymous'} on {path} at {REFLOW_VIEWPORT['width']} px"
    page = narrow_page(case.who)
    response = page.goto(path)
    assert response is not None
    if case.status != 200 or not case.h1:
        # Rows from pages.py keep their status; crowd rows must simply load.
        assert response.status == (case.status if case.h1 else 200), f"{name}: {response.status}"
    assert_no_horizontal_scroll(page, name)
    assert_scroll_regions_usable(page, name)
    assert_axe_clean(page)
