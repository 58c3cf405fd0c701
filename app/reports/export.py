"""The contribution report as CSV: the same figures as the JSON, one per line, with a notes row
stating the disclosure rule. Cells a spreadsheet would run as a formula are made inert."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..language import N_
from . import disclosure as dc

# The API's CSV keeps these words (the documented contract); the page's download shows them in
# the downloader's language (marked here, translated by the view: ``report_csv(header=...)``).
HEADER = (N_("section"), N_("row"), N_("figure"), N_("value"))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HEADLINE = (
    "hours_exchanged_minutes",
    "exchanges",
    "active_members",
    "members_giving",
    "members_receiving",
    "members_both",
    "new_members",
    "peer_matches_introduced",
    "median_days_signoff_to_introduction",
    "peer_support_minutes",
    "peers_giving_support",
    "social_value_pence",
    "hourly_rate_pence",
    "partner_minutes_given",
    "partner_minutes_received",
)
ROW_KEYS = {
    "by_category": "category",
    "by_locality": "district",
    "by_month": "month",
    "by_partner": "partner_organisation_id",
}
COMMISSIONER_ROW_KEYS = {
    "outcomes_by_status": "status",
    "outcomes_by_category": "category",
    "wellbeing": "question",
    "review_timing": "timing",
    "themes": "theme",
}


def safe_cell(value: Any) -> str:
    """As text; a cell starting like a formula gets a leading apostrophe (OWASP's advice)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def report_csv(report: dict[str, Any], header: tuple[str, ...] | list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    rows: list[tuple[Any, ...]] = [
        ("period", "", "from", report["period"]["from"]),
        ("period", "", "to", report["period"]["to"]),
        ("summary", "", "disclosure", report["disclosure"]),
    ]
    rows += [("summary", "", name, report.get(name)) for name in HEADLINE]
    for name, value in report.get("give_and_get", {}).items():
        rows.append(("give_and_get", "", name, value))
    for section, key in ROW_KEYS.items():
        for row in report.get(section, []):
            for name, value in row.items():
                if name not in (key, "name"):
                    rows.append((section, row[key], name, value))
    section = report.get("commissioners") or {}
    for name, key in COMMISSIONER_ROW_KEYS.items():
        for row in section.get(name, []):
            for figure, value in row.items():
                if figure not in (key, "text"):
                    rows.append((f"commissioners.{name}", row[key], figure, value))
    for number, quote in enumerate(section.get("quotes", []), start=1):
        for figure in ("what_worked", "what_did_not"):
            if quote.get(figure):
                rows.append(("commissioners.quotes", number, figure, quote[figure]))
        if quote.get("themes"):
            rows.append(("commissioners.quotes", number, "themes", "; ".join(quote["themes"])))
    rows.append(("notes", "", "disclosure_rule", dc.rule(report["disclosure"])))
    rows.append(("notes", "", "hourly_rate_source", report.get("hourly_rate_source", "")))
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
