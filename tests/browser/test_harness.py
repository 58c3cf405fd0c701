"""The checks themselves can fail: a planted fault must be caught, or a clean run means nothing."""

from __future__ import annotations

import pytest

from tests.browser.checks import assert_focus_visible, axe_violations, format_violations

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
