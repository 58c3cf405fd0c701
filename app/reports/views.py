"""Report pages: the contribution report for a period (exact or fit to publish), its printable
pack, the same pack as PDF and CSV, and the monthly snapshots kept.

Each view parses the request, calls one service in ``services`` and renders; nothing here
decides a figure or what may be shown.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..clock import london_date, utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_domain_error
from ..i18n import N_, translated

# The peers pages' words for what a review records (shown here, decided there).
from ..peers.forms import GIVE_AND_GET_LABELS, REVIEW_STATUS_LABELS  # noqa: E402
from ..templating import format_date
from . import disclosure as dc
from . import services
from .contribution import PERIOD_PROBLEMS, PERIOD_VALUES, Period, parse_period
from .export import HEADER, report_csv
from .forms import ReportForm
from .models import ReportSnapshot
from .pdf import pdf_download

bp = Blueprint("reports", __name__)

DEFINITIONS = [
    (
        N_("Hours exchanged"),
        N_(
            "Minutes given in confirmed exchanges on a date in the period, shown as hours; an exchange later reversed does not count."
        ),
    ),
    (N_("Exchanges"), N_("Confirmed exchanges on a date in the period.")),
    (
        N_("Active members"),
        N_(
            "People who gave or received time in a confirmed exchange in the period. The organisation's own account and the community chest are not people."
        ),
    ),
    (
        N_("Gave, received, both"),
        N_("Active members who gave time, who received it, and who did both: give and get."),
    ),
    (N_("New members"), N_("People who joined the organisation in the period.")),
    (
        N_("Peer matches introduced"),
        N_(
            "Matches of a person with a peer where both agreed and were put in touch in the period."
        ),
    ),
    (
        N_("Median days from sign-off to introduction"),
        N_(
            "For introductions in the period whose referral came from a signed-off support plan: the middle number of days from sign-off to the introduction."
        ),
    ),
    (
        N_("Peer support"),
        N_(
            "Minutes peers gave on their matches in the period (paid from the organisation's hours account; the person supported is never charged)."
        ),
    ),
    (
        N_("Social value"),
        N_(
            "Hours exchanged × the organisation's hourly rate, to the nearest penny (halves rounded up)."
        ),
    ),
    (
        N_("Give and get, planned and delivered"),
        N_(
            "Planned: the timebank and peer support hours a month in signed-off plans, for the days of the period after sign-off (a month is a twelfth of 365 days). Delivered: minutes those people received in the period, from members or a peer, after their sign-off."
        ),
    ),
    (
        N_("By locality"),
        N_(
            "People by the postcode district of their own address (or ‘Not known’); minutes they gave and received."
        ),
    ),
    (
        N_("Outcomes by status"),
        N_(
            "Outcomes rated at reviews of support plans done in the period: achieved, partly, not yet, or no longer wanted. People are those whose outcomes were rated."
        ),
    ),
    (
        N_("Outcomes by category of support"),
        N_(
            "The same ratings under each kind of support in the version of the plan that was reviewed: paid from the budget, timebank, peer support, community groups, family. A plan with several kinds counts under each, so the rows overlap."
        ),
    ),
    (
        N_("Wellbeing from sign-off to the latest review"),
        N_(
            "For each question, people who answered it at sign-off and at a review in the period: their sign-off answer beside their answer at their latest review in the period (1 not true for me, 4 completely true), and how many were better, the same or worse."
        ),
    ),
    (
        N_("Reviews on time and late"),
        N_("Reviews done in the period on or before the date they were due, and after it."),
    ),
    (
        N_("Themes and members’ own words"),
        N_(
            "What members said at a review or when a peer match closed, tagged by a coordinator with the organisation’s themes. Words are quoted only where the person gave permission, and never with a name."
        ),
    ),
]


@bp.before_request
@login_required
def require_sign_in():
    """Every page here is for signed-in people."""


def _default_period() -> Period:
    today = london_date(utcnow())
    first = today.replace(day=1)
    for _month in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, today)


def _asked(form: ReportForm) -> tuple[Period | None, str]:
    disclosure = form.disclosure.data if form.disclosure.data in dc.DISCLOSURES else dc.COORDINATOR
    form.disclosure.data = disclosure
    if "start" not in request.args and "end" not in request.args:
        period = _default_period()
        form.start.data, form.end.data = period.start.isoformat(), period.end.isoformat()
        return period, disclosure
    try:
        return parse_period(form.start.data, form.end.data), disclosure
    except ValidationFailed as error:
        show_domain_error(form, error, rename={"from": "start", "to": "end"})
        for name in ("start", "end"):
            form[name].errors = [_period_problem(message) for message in form[name].errors]
        return None, disclosure


def _period_problem(message: str) -> str:
    """A period's problem in the page's language (``contribution.PERIOD_PROBLEMS``)."""
    for problem in PERIOD_PROBLEMS:
        if message == problem % PERIOD_VALUES:
            return translated(problem) % PERIOD_VALUES
    return translated(message)


def _report(period: Period, disclosure: str) -> dict:
    return services.contribution_for(
        db.session, current_user, current_user.organisation_id, period, disclosure, utcnow()
    )


@bp.get("/reports")
def reports_page():
    organisation = services.report_organisation(
        db.session, current_user, current_user.organisation_id
    )
    form = ReportForm(request.args)
    period, disclosure = _asked(form)
    report = _report(period, disclosure) if period else None
    snapshots = services.snapshots_for(db.session, current_user, organisation.id)
    return render_template(
        "reports/report.html",
        form=form,
        report=report,
        organisation=organisation,
        definitions=DEFINITIONS,
        rate=services.rate_source(db.session, organisation) if report else None,
        snapshots=snapshots,
        query={"start": form.start.data, "end": form.end.data, "disclosure": disclosure},
    )


def _pack(report: dict, organisation, *, kept_on=None) -> str:
    """The pack; a kept month's says where its rate came from as it was written then."""
    return render_template(
        "reports/pack.html",
        report=report,
        organisation=organisation,
        definitions=DEFINITIONS,
        rate=None if kept_on else services.rate_source(db.session, organisation),
        kept_on=kept_on,
    )


def _asked_or_422():
    form = ReportForm(request.args)
    period, disclosure = _asked(form)
    if period is None:
        raise ValidationFailed(
            N_("Choose a period for the report."),
            fields={name: errors[0] for name, errors in form.errors.items()},
        )
    return period, disclosure


@bp.get("/reports/pack")
def report_pack():
    organisation = services.report_organisation(
        db.session, current_user, current_user.organisation_id
    )
    period, disclosure = _asked_or_422()
    return _pack(_report(period, disclosure), organisation)


@bp.get("/reports/pack.pdf")
def report_pack_pdf():
    organisation = services.report_organisation(
        db.session, current_user, current_user.organisation_id
    )
    period, disclosure = _asked_or_422()
    name = f"contribution-{period.start}-{period.end}-{disclosure}.pdf"
    return pdf_download(_pack(_report(period, disclosure), organisation), name)


@bp.get("/reports/contribution.csv")
def report_csv_download():
    services.report_organisation(db.session, current_user, current_user.organisation_id)
    period, disclosure = _asked_or_422()
    name = f"contribution-{period.start}-{period.end}-{disclosure}.csv"
    return Response(
        report_csv(_report(period, disclosure), header=[translated(word) for word in HEADER]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports/snapshots/<id:snapshot_id>")
def snapshot_page(snapshot_id: int):
    organisation = services.report_organisation(
        db.session, current_user, current_user.organisation_id
    )
    kept = {s.id: s for s in services.snapshots_for(db.session, current_user, organisation.id)}
    snapshot: ReportSnapshot | None = kept.get(snapshot_id)
    if snapshot is None:
        raise NotFound(N_("We could not find that report."))
    return _pack(snapshot.body, organisation, kept_on=london_date(snapshot.created_at))


# --- formatting at the edge ---------------------------------------------------------------------


def _shown(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def figure(value) -> str:
    """A count as the page shows it: 1,234; "*" when hidden for publication; "suppressed"."""
    if value is None:
        return _("suppressed")
    if value == dc.HIDDEN:
        return "*"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def hours(minutes) -> str:
    if not _shown(minutes):
        return figure(minutes)
    return f"{minutes / 60:,.1f}"


def pounds(pence) -> str:
    if not _shown(pence):
        return figure(pence)
    return f"£{pence // 100:,}.{pence % 100:02d}"


def bars(rows: list[dict], label_key: str, value_key: str, name=None) -> list[dict]:
    """Rows for the SVG chart: each bar's share of the largest shown value, in whole per cent;
    ``name`` words a row's ``label_key`` (a category's code in the page's language)."""
    largest = max((r[value_key] for r in rows if _shown(r[value_key])), default=0)
    out = []
    for row in rows:
        value = row[value_key]
        share = round(100 * value / largest) if _shown(value) and largest else 0
        label = name(row[label_key]) if name else row.get("name") or row[label_key]
        out.append({"label": label, "value": value, "share": share})
    return out


@bp.context_processor
def report_helpers():
    return {
        "figure": figure,
        "hours": hours,
        "pounds": pounds,
        "bars": bars,
        "rule_for": dc.rule,
        "outcome_labels": {
            code: translated(str(words)) for code, words in REVIEW_STATUS_LABELS.items()
        },
        "category_labels": {
            code: translated(str(words))
            for code, words in {"paid": N_("Paid from the budget"), **GIVE_AND_GET_LABELS}.items()
        },
        "rate_said": rate_said,
    }


def rate_said(rate: services.RateSource) -> str:
    """Where the hourly rate came from, in the page's language (the report keeps the English)."""
    return translated(rate.sentence) % {
        "pounds": pounds(rate.hourly_rate_pence),
        "name": rate.set_by,
        "day": format_date(rate.set_on),
    }
