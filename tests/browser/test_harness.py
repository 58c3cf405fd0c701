"""The checks themselves can fail: a planted fault must be caught, or a clean run means nothing."""

from __future__ import annotations

import pytest

from tests.browser.checks import (
    REFLOW_VIEWPORT,
    assert_focus_visible,
    assert_no_horizontal_scroll,
    assert_scroll_regions_usable,
    axe_violations,
    format_violations,
)

pytestmark = pytest.mark.browser


def test_axe_reports_a_planted_violation(page):
    page.goto("/about")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "data:,";
          img.id = "planted";
          document.querySelector("main").append(img);
        }"""
    )
    violations = axe_violations(page)
    assert "image-alt" in {violation["id"] for violation in violations}
    assert "#planted" in format_violations(violations)


def test_focus_check_rejects_focus_that_cannot_be_seen(page):
    page.goto("/sign-in")
    page.evaluate(
        """() => {
          const link = document.querySelector("main a.govuk-link");
          link.style.setProperty("outline", "none", "important");
          link.style.setProperty("box-shadow", "none", "important");
          link.focus();
        }"""
    )
    with pytest.raises(AssertionError, match="no visible focus indicator"):
        assert_focus_visible(page)


def test_reflow_check_names_what_widens_the_page(page):
    page.set_viewport_size(REFLOW_VIEWPORT)
    page.goto("/about")
    assert_no_horizontal_scroll(page, "about")  # the page itself reflows
    page.evaluate(
        """() => {
          const word = document.createElement("p");
          word.id = "planted";
          word.textContent = "Wolfeschlegelsteinhausenbergerdorff".repeat(3);
          word.style.setProperty("overflow-wrap", "normal");
          document.querySelector("main").append(word);
        }"""
    )
    with pytest.raises(AssertionError, match=r"(?s)about: the page is \d+ px wide.*p#planted"):
        assert_no_horizontal_scroll(page, "about")


def test_reflow_check_sees_hidden_text_escaping_a_scrolling_region(page):
    """Absolutely positioned text escapes an unpositioned overflow region and widens the page."""
    page.set_viewport_size(REFLOW_VIEWPORT)
    page.goto("/about")
    page.evaluate(
        """() => {
          const region = document.createElement("div");
          region.style.setProperty("overflow-x", "auto");
          const wide = document.createElement("div");
          wide.style.setProperty("width", "900px");
          const hidden = document.createElement("span");
          hidden.className = "govuk-visually-hidden";
          hidden.id = "escaped";
          hidden.textContent = "Actions";
          wide.style.setProperty("text-align", "right");
          wide.append(hidden);
          region.append(wide);
          document.querySelector("main").append(region);
        }"""
    )
    with pytest.raises(AssertionError, match="span#escaped"):
        assert_no_horizontal_scroll(page, "about")


def test_scroll_region_checks_reject_a_bare_table_and_an_unreachable_region(page):
    page.set_viewport_size(REFLOW_VIEWPORT)
    page.goto("/about")
    page.evaluate(
        """() => {
          const table = document.createElement("table");
          table.createCaption().textContent = "Planted table";
          document.querySelector("main").append(table);
        }"""
    )
    with pytest.raises(AssertionError, match="tables outside a scrolling region.*Planted table"):
        assert_scroll_regions_usable(page, "about")

    page.goto("/about")
    page.evaluate(
        """() => {
          const region = document.createElement("div");
          region.className = "app-table-scroll";
          region.id = "planted";
          region.style.setProperty("overflow-x", "auto");
          const wide = document.createElement("p");
          wide.textContent = "Wide ".repeat(20);
          wide.style.setProperty("width", "900px");
          region.append(wide);
          document.querySelector("main").append(region);
        }"""
    )
    with pytest.raises(AssertionError, match="tabindex=None, want 0"):
        assert_scroll_regions_usable(page, "about")
    violations = axe_violations(page)
    assert "scrollable-region-focusable" in {violation["id"] for violation in violations}
