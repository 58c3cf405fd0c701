"""What every page must pass in a real browser: one h1, a language, a skip link, axe and focus."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no wcag22a rules of its own yet).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}

_axe = Axe()  # axe-core's bundled source, injected with page.evaluate (the CSP blocks script tags)


def axe_violations(page: Page, context: str | None = None) -> list[dict]:
    return _axe.run(page, context=context, options=AXE_OPTIONS).response["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_axe_clean(page: Page, context: str | None = None) -> None:
    violations = axe_violations(page, context)
    assert not violations, (
        f"axe found {len(violations)} violation(s) on {page.url}:\n{format_violations(violations)}"
    )


def assert_one_h1(page: Page, text: str) -> None:
    headings = page.locator("h1")
    assert headings.count() == 1, f"{page.url}: {headings.count()} h1 elements, want exactly one"
    expect(headings).to_have_text(text)


def assert_language(page: Page) -> None:
    lang = page.locator("html").get_attribute("lang")
    assert lang and lang.strip(), f"{page.url}: <html> has no lang"


def assert_skip_link(page: Page, *, first_tab: bool = True) -> None:
    """The skip link shows when focused and Enter moves focus to <main>.

    `first_tab`: on a freshly loaded page it must be the first thing Tab reaches. Pages that move
    focus on load (an error summary takes focus) focus it directly instead.
    """
    skip = page.locator("a.govuk-skip-link")
    expect(skip).to_have_count(1)
    if first_tab:
        page.keyboard.press("Tab")
        expect(skip).to_be_focused()
    else:
        skip.focus()
    box = skip.bounding_box()
    assert box and box["width"] > 1 and box["height"] > 1, "the focused skip link is not visible"
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // The colour behind the text: the nearest ancestor with an opaque-ish background.
  let background = [255, 255, 255];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const c = rgba(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) { background = c.slice(0, 3); break; }
  }
  const [l1, l2] = [luminance(rgba(s.color)), luminance(background)].sort((a, b) => b - a);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.type || "",
    role: el.getAttribute("role") || "",
    name: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 80),
    outlineStyle: s.outlineStyle,
    outlineWidth: parseFloat(s.outlineWidth) || 0,
    outlineColor: s.outlineColor,
    boxShadow: s.boxShadow,
    textContrast: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
  };
}"""

TRANSPARENT = {"transparent", "rgba(0, 0, 0, 0)"}
# Text that stays readable while focused (WCAG 1.4.3 for normal-size text).
MIN_FOCUSED_TEXT_CONTRAST = 4.5


def focused_element(page: Page) -> dict | None:
    """What has focus, with the styles that show it; None when nothing does."""
    return page.evaluate(FOCUS_STYLE)


def describe(element: dict | None) -> str:
    if element is None:
        return "nothing"
    label = element["name"] or element["id"]
    return f"<{element['tag']}{' #' + element['id'] if element['id'] else ''}> {label!r}"


def assert_focus_visible(page: Page) -> dict:
    """The focused element draws an indicator (an outline or a box shadow) and its text can
    still be read against what is behind it."""
    element = focused_element(page)
    assert element is not None, f"{page.url}: nothing has focus"
    outline = (
        element["outlineStyle"] != "none"
        and element["outlineWidth"] > 0
        and element["outlineColor"] not in TRANSPARENT
    )
    shadow = element["boxShadow"] not in ("", "none")
    assert outline or shadow, f"{page.url}: no visible focus indicator on {element}"
    if element["name"] and element["tag"] in ("a", "button"):
        assert element["textContrast"] >= MIN_FOCUSED_TEXT_CONTRAST, (
            f"{page.url}: focused {describe(element)} has text contrast "
            f"{element['textContrast']}:1, want {MIN_FOCUSED_TEXT_CONTRAST}:1 ({element})"
        )
    return element


def check_page(page: Page, h1: str) -> None:
    """Everything a page must pass, on a page that has just loaded."""
    assert_language(page)
    assert_one_h1(page, h1)
    assert_axe_clean(page)
    assert_skip_link(page)
