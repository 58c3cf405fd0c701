"""Urdu in Chromium: every page row (tests/browser/pages.py) renders right to left in Urdu with
no English string of the catalogue left (text marked with another ``lang`` aside: a message kept
in the language it was sent in), passes axe and does not scroll sideways at 320 px; the switcher
works by keyboard alone and brings English back.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.checks import (
    assert_axe_clean,
    assert_no_horizontal_scroll,
    assert_nothing_overlaps_or_runs_off,
    assert_scroll_regions_usable,
)
from tests.browser.pages import (
    PAGES,
    Page,
)
from tests.browser.test_keyboard import tab_to
from tests.languages import english_left

pytestmark = pytest.mark.browser

NARROW_URDU = {"width": 320, "height": 640}


@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.id)
def test_page_renders_in_urdu_right_to_left(new_page, case: Page):
    if case.who:
        new_page(case.who)  # signed in once in English; the Urdu context reuses the cookies
    page = new_page(case.who, locale="ur-PK", viewport=NARROW_URDU)
    response = page.goto(case.path)
    assert response is not None and response.status == case.status
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ur")
    expect(html).to_have_attribute("dir", "rtl")
    # Text marked as written in another language (a message the inbox kept as it was sent) is
    # a part in that language, read in its own voice: not English left untranslated.
    text = page.evaluate(
        """() => {
            let text = document.body.innerText;
            for (const part of document.body.querySelectorAll('[lang]:not([lang="ur"])')) {
                text = text.replace(part.innerText, ' ');
            }
            return text + ' ' + document.title;
        }"""
    )
    left = english_left(text)
    assert not left, f"{case.id}: English left untranslated in Urdu: {left}"
    assert re.search(r"[\u0600-\u06FF]{3}", text), "no Urdu on the page"
    name = f"{case.id} in Urdu at 320 px"
    assert_no_horizontal_scroll(page, name)
    assert_nothing_overlaps_or_runs_off(page, name)
    assert_scroll_regions_usable(page, name)
    assert_axe_clean(page)


def test_switching_from_urdu_back_to_english_by_keyboard(new_page):
    page = new_page(None, locale="ur")
    page.goto("/sign-in")
    expect(page.locator("h1")).to_have_text("سائن ان کریں")
    select = tab_to(page, id="language-choice")
    assert select["tag"] == "select"
    page.keyboard.press("ArrowUp")  # English is first in the list
    tab_to(page, name="زبان تبدیل کریں")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sign-in$"))
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert_axe_clean(page)
