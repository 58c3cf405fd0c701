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


# WCAG 1.4.10 Reflow: content at 320 CSS pixels wide (1280 px at 400% zoom) must not need
# scrolling in two directions. Only parts that need two dimensions (data tables) may scroll
# sideways, inside their own keyboard-reachable region.
REFLOW_WIDTH = 320
REFLOW_VIEWPORT = {"width": REFLOW_WIDTH, "height": 640}

PAGE_OVERFLOW = """() => {
  const viewport = window.innerWidth;
  // Is the element inside a region that scrolls or clips it? An absolutely positioned element
  // (GOV.UK's visually hidden text) escapes every such region below its containing block.
  const positioned = (style) => ["absolute", "fixed"].includes(style.position);
  const clips = (el) => {
    let escaping = positioned(getComputedStyle(el));
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (escaping && style.position !== "static") escaping = false;
      if (!escaping && style.overflowX !== "visible") return true;
      if (positioned(style)) escaping = true;
    }
    return false;
  };
  // Where an element's box ends, or the text that spills out of it (a long word) when it lets
  // its content overflow.
  const right = (el) => {
    const box = el.getBoundingClientRect();
    const spills = getComputedStyle(el).overflowX === "visible";
    return spills ? Math.max(box.right, box.left + el.scrollWidth) : box.right;
  };
  const describe = (el) => {
    const classes = [...el.classList].slice(0, 2).map((c) => "." + c).join("");
    const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 60);
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes}> ` +
      `reaches ${Math.round(right(el))} px: ${JSON.stringify(text)}`;
  };
  // Elements that reach past the right edge and are not inside a region that scrolls or clips;
  // the innermost of them (no child of theirs does) are what widen the page.
  const wide = new Set(
    [...document.body.querySelectorAll("*")].filter(
      (el) => right(el) > viewport + 0.5 && !clips(el)
    )
  );
  // A table's cells all stick out with it: name the table once.
  const tableOf = (el) => {
    const table = el.closest("table");
    return table && wide.has(table) ? table : el;
  };
  const culprits = [
    ...new Set(
      [...wide].filter((el) => ![...el.children].some((child) => wide.has(child))).map(tableOf)
    ),
  ];
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: viewport,
    culprits: culprits.slice(0, 8).map(describe),
  };
}"""


def page_width(page: Page) -> dict:
    """The page's scroll width, the viewport's width, and what sticks out past it."""
    return page.evaluate(PAGE_OVERFLOW)


def assert_no_horizontal_scroll(page: Page, name: str) -> None:
    """The whole page does not scroll sideways (WCAG 1.4.10)."""
    width = page_width(page)
    assert width["scrollWidth"] <= width["innerWidth"], (
        f"{name}: the page is {width['scrollWidth']} px wide in a {width['innerWidth']} px "
        f"viewport, so it scrolls sideways. Too wide:\n  " + "\n  ".join(width["culprits"])
    )


# What a reader reads or uses, line box by line box (an inline link wrapping onto two lines is
# two boxes), leaving out what is hidden, visually hidden, transparent (GOV.UK's radio and
# checkbox inputs sit under their drawn box) or inside a region that scrolls on purpose.
OVERLAPS = """() => {
  const width = document.documentElement.clientWidth;
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    + "label, legend, h1, h2, h3, h4, p, li, dt, dd, th, td, .govuk-tag";
  const shown = (el) => {
    if (el.closest(".govuk-visually-hidden, [hidden], .govuk-skip-link")) return false;
    const style = getComputedStyle(el);
    const control = el.matches("input, select, textarea, button");
    if (!control && !(el.innerText || "").trim()) return false;  // an empty box shows nothing
    return style.visibility !== "hidden" && style.opacity !== "0" && el.getClientRects().length;
  };
  const about = (el) => el.tagName.toLowerCase() + ' "' + (el.innerText || el.value || "")
    .trim().slice(0, 40) + '"';
  const boxes = [];
  const offScreen = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    for (const box of el.getClientRects()) {
      if (box.width < 1 || box.height < 1) continue;
      if (!el.closest(".app-table-scroll") && (box.left < -1 || box.right > width + 1)) {
        offScreen.push(about(el) + " spans " + Math.round(box.left) + "–" + Math.round(box.right));
      }
      boxes.push([el, box]);
    }
  }
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    const [a, ra] = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const [b, rb] = boxes[j];
      if (a === b || a.contains(b) || b.contains(a)) continue;
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 2 && y > 2) overlaps.push(about(a) + " and " + about(b));
    }
  }
  return {offScreen, overlaps: [...new Set(overlaps)]};
}"""


def assert_nothing_overlaps_or_runs_off(page: Page, name: str) -> None:
    """No text or control runs off the side of the screen, and no two of them sit on top of each
    other (what a screenshot at 320 px would show as clipped or garbled)."""
    found = page.evaluate(OVERLAPS)
    assert not found["offScreen"], f"{name}: runs off the screen: " + "; ".join(found["offScreen"])
    assert not found["overlaps"], f"{name}: on top of each other: " + "; ".join(
        found["overlaps"][:10]
    )


SCROLL_REGIONS = """() => {
  const name = (el) => {
    const label = (el.getAttribute("aria-label") || "").trim();
    if (label) return label;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    return ids.map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
  };
  return {
    regions: [...document.querySelectorAll(".app-table-scroll")].map((el, index) => ({
      index,
      tabindex: el.getAttribute("tabindex"),
      role: el.getAttribute("role"),
      name: name(el),
      overflowX: getComputedStyle(el).overflowX,
      scrolls: el.scrollWidth > el.clientWidth,
    })),
    // Tables that are not inside a scrolling region widen the page when they grow.
    bareTables: [...document.querySelectorAll("table")].filter(
      (table) => !table.closest(".app-table-scroll")
    ).map((table) => (table.caption ? table.caption.innerText : table.outerHTML.slice(0, 80))),
  };
}"""


def scroll_regions(page: Page) -> dict:
    return page.evaluate(SCROLL_REGIONS)


def assert_scroll_regions_usable(page: Page, name: str) -> list[dict]:
    """Every table sits in a region that scrolls sideways, can be reached with Tab, has a name
    (axe's scrollable-region-focusable; WCAG 2.1.1) and shows its focus; one that overflows
    scrolls with the arrow keys (towards the end of the line: leftwards, to a negative
    scrollLeft, on a right-to-left page)."""
    found = scroll_regions(page)
    assert not found["bareTables"], (
        f"{name}: tables outside a scrolling region (use the table_scroll macro): "
        f"{found['bareTables']}"
    )
    for region in found["regions"]:
        where = f"{name}: scrolling region {region['index']} ({region['name'] or 'no name'!r})"
        assert region["tabindex"] == "0", f"{where} has tabindex={region['tabindex']!r}, want 0"
        assert region["role"] == "region", f"{where} has role={region['role']!r}, want region"
        assert region["name"], f"{where} has no accessible name"
        assert region["overflowX"] == "auto", f"{where} has overflow-x {region['overflowX']}"
        locator = page.locator(".app-table-scroll").nth(region["index"])
        locator.focus()
        assert_focus_visible(page)
        if region["scrolls"]:
            rtl = locator.evaluate("el => getComputedStyle(el).direction === 'rtl'")
            page.keyboard.press("ArrowLeft" if rtl else "ArrowRight")
            page.wait_for_function(
                "([el, rtl]) => (rtl ? el.scrollLeft < 0 : el.scrollLeft > 0)",
                arg=[locator.element_handle(), rtl],
                timeout=2_000,
            )
    return found["regions"]
