"""Timebank pages: hours and statements, exchanges, listings, the directory and the chest.

Each view parses the request, calls one service in ``exchanges`` or ``listings`` and renders or
redirects. The services decide; a refusal that is about the current state (a balance limit, an
exchange already confirmed) is shown as a banner, and nothing moves.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import can_see_coordinator_activity
from ..auth.services import get_member_for, require_coordinator
from ..clock import london_date, utcnow
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..forms import id_arg, page_arg
from ..i18n import N_, translated
from ..pages import attempt, commit
from ..postcodes import district
from ..printing import pdf_download
from ..templating import category_name, format_date, format_minutes
from . import activity, exchanges, listings, permissions, services
from .durations import describe_minutes
from .forms import (
    CoordinatorExchangeForm,
    DirectoryForm,
    DonationForm,
    GrantForm,
    ListingForm,
    ListingSearchForm,
    MemberExchangeForm,
    ReverseForm,
    error_message,
    in_page_language,
)
from .models import Account, Exchange

bp = Blueprint("timebank", __name__)
bp.add_app_template_filter(describe_minutes, "minutes")  # time is formatted at the edge

PER_PAGE = 50
CSV_CHUNK_ROWS = 500  # rows a piece of the streamed CSV, and read from the database at once
ORGANISATION_CHOICE = "org"
# Status code → (words, GOV.UK tag colour). Pages show the words in their language.
STATUSES = {
    "pending": (N_("Waiting for confirmation"), "govuk-tag--yellow"),
    "confirmed": (N_("Confirmed"), "govuk-tag--green"),
    "rejected": (N_("Turned down"), "govuk-tag--red"),
    "reversed": (N_("Reversed"), "govuk-tag--grey"),
    "withdrawn": (N_("Withdrawn"), "govuk-tag--grey"),
}
MOVEMENTS = {
    "exchange": N_("Exchange"),
    "reversal": N_("Correction"),
    "donation": N_("Gift to the community chest"),
    "grant": N_("Grant from the community chest"),
}
# What a coordinator did, and to whom, as ``activity`` words them (its API shows them as they are;
# the page shows them with translated()).
ACTIVITY_WORDS = (
    N_("added a member"),
    N_("credited"),
    N_("granted"),
    N_("reversed"),
    N_("the organisation"),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.before_request
@login_required
def require_sign_in():
    """Every timebank page is for signed-in people."""


def awaiting_party(exchange: Exchange) -> Account | None:
    """The account whose holder must confirm a pending exchange."""
    for account in (exchange.provider_account, exchange.receiver_account):
        if account.id == exchange.awaiting_account_id:
            return account
    return None


def statement_date(row: exchanges.StatementRow) -> date:
    """An exchange is dated when it happened; anything else when it was posted."""
    if row.kind == "exchange" and row.occurred_on:
        return row.occurred_on
    return london_date(row.at)


@bp.app_context_processor
def coordinator_activity_link():
    return {"can_see_coordinator_activity": can_see_coordinator_activity}


@bp.get("/admin/coordinator-activity")
def coordinator_activity():
    report = activity.coordinator_activity(db.session, current_user, utcnow())
    return render_template("timebank/coordinator_activity.html", report=report)


@bp.context_processor
def timebank_helpers():
    return {
        "account_name": lambda account: translated(services.account_name(account)),
        "awaiting_party": awaiting_party,
        "category_name": category_name,
        "movements": {kind: translated(words) for kind, words in MOVEMENTS.items()},
        "statement_date": statement_date,
        "statuses": {code: (translated(words), tag) for code, (words, tag) in STATUSES.items()},
    }


# --- hours and statements -----------------------------------------------------------------------


@bp.get("/hours")
def hours():
    return _hours_page(current_user)


@bp.get("/members/<id:member_id>/hours")
def member_hours(member_id: int):
    return _hours_page(get_member_for(db.session, current_user, member_id))


def _hours_page(person: User) -> str:
    account = services.member_account(db.session, person)
    return render_template(
        "timebank/hours.html",
        person=person,
        account=account,
        limits=services.limits_for(account),
        statement=exchanges.statement_page(
            db.session,
            account,
            page=page_arg(),
            per_page=PER_PAGE,
            newest_first=request.args.get("order") != "oldest",  # newest first unless asked
        ),
    )


def _statement_on_paper(person: User) -> str:
    """The whole statement, oldest first, for the print stylesheet and the PDF."""
    account = services.member_account(db.session, person)
    return render_template(
        "timebank/statement.html",
        person=person,
        account=account,
        limits=services.limits_for(account),
        rows=exchanges.statement(db.session, account),
        today=london_date(utcnow()),
    )


# The same statement on paper: a page with the print stylesheet, and that page as PDF.


@bp.get("/hours/statement")
def statement():
    return _statement_on_paper(current_user)


@bp.get("/hours/statement.pdf")
def statement_pdf():
    html = _statement_on_paper(current_user)
    return pdf_download(html, f"your-hours-{london_date(utcnow()).isoformat()}.pdf")


@bp.get("/members/<id:member_id>/statement")
def member_statement(member_id: int):
    return _statement_on_paper(get_member_for(db.session, current_user, member_id))


@bp.get("/members/<id:member_id>/statement.pdf")
def member_statement_pdf(member_id: int):
    person = get_member_for(db.session, current_user, member_id)
    html = _statement_on_paper(person)
    return pdf_download(html, f"hours-member-{person.id}-{london_date(utcnow()).isoformat()}.pdf")


@bp.get("/hours.csv")
def hours_csv():
    return _statement_csv(current_user, f"your-hours-{london_date(utcnow()).isoformat()}.csv")


@bp.get("/members/<id:member_id>/hours.csv")
def member_hours_csv(member_id: int):
    person = get_member_for(db.session, current_user, member_id)
    today = london_date(utcnow()).isoformat()
    return _statement_csv(person, f"hours-member-{person.id}-{today}.csv")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def hours_figure(minutes: int) -> Decimal:
    """Minutes as hours to two decimal places, a number a spreadsheet can add up."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _statement_csv(person: User, filename: str) -> Response:
    account = services.member_account(db.session, person)
    return Response(
        stream_with_context(_statement_lines(account)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _statement_lines(account: Account) -> Iterator[str]:
    """The statement as CSV text, a chunk of rows at a time: the whole history streams from the
    database to the response in constant memory, however long it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark so spreadsheet programs read names with accents correctly.
    buffer.write("\ufeff")
    # The header in the downloader's language (the streamed response keeps the request's).
    writer.writerow(
        [
            _("Date"),
            _("Type"),
            _("What"),
            _("With whom"),
            _("Minutes"),
            _("Hours"),
            _("Balance after (minutes)"),
            _("Balance after (hours)"),
        ]
    )
    rows = exchanges.iter_statement(db.session, account, chunk=CSV_CHUNK_ROWS)
    for number, row in enumerate(rows, start=1):
        writer.writerow(
            [
                statement_date(row).isoformat(),
                MOVEMENTS.get(row.kind, row.kind),
                spreadsheet_safe(row.description),
                spreadsheet_safe(row.counterparty),
                row.minutes,
                hours_figure(row.minutes),
                row.balance_after,
                hours_figure(row.balance_after),
            ]
        )
        if number % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- exchanges ----------------------------------------------------------------------------------


@bp.get("/exchanges", endpoint="exchanges")
def exchanges_page():
    page = db.paginate(
        exchanges.exchanges_for(db.session, actor=current_user),
        page=page_arg(),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "timebank/exchanges.html",
        waiting=exchanges.awaiting_confirmation_by(db.session, current_user),
        page=page,
    )


@bp.get("/exchanges/<id:exchange_id>", endpoint="exchange")
def exchange_page(exchange_id: int):
    exchange = exchanges.get_exchange_for(db.session, current_user, exchange_id)
    return _exchange_page(exchange, ReverseForm())


def _exchange_page(exchange: Exchange, form: ReverseForm):
    return render_template(
        "timebank/exchange.html",
        exchange=exchange,
        form=form,
        awaiting=awaiting_party(exchange),
        allowed=exchanges.view_of(current_user, exchange).allowed_actions,
    )


def _back_to(exchange_id: int) -> str:
    """Back to the list the button was on, or to the exchange: never a URL from the request."""
    if request.form.get("return_to") == "exchanges":
        return url_for("timebank.exchanges")
    return url_for("timebank.exchange", exchange_id=exchange_id)


def _settle(action, exchange_id: int, done: str):
    """Confirm or turn down. A clash with the ledger's state is a banner; a refusal (not yours to
    confirm, not yours to see) is the error page with its status."""
    outcome = attempt(
        lambda: action(db.session, actor=current_user, exchange_id=exchange_id, now=utcnow()),
        expected=(Conflict,),
    )
    if outcome.ok:
        flash(done, "success")
    else:  # a clash with the ledger's state: a banner, in the page's language
        flash(error_message(outcome.error), "error")
    return redirect(_back_to(exchange_id))


@bp.post("/exchanges/<id:exchange_id>/confirm")
def exchange_confirm(exchange_id: int):
    return _settle(
        exchanges.confirm_exchange,
        exchange_id,
        _("The exchange is confirmed and the hours have moved."),
    )


@bp.post("/exchanges/<id:exchange_id>/reject")
def exchange_reject(exchange_id: int):
    return _settle(
        exchanges.reject_exchange, exchange_id, _("You turned the exchange down. No hours moved.")
    )


@bp.post("/exchanges/<id:exchange_id>/withdraw")
def exchange_withdraw(exchange_id: int):
    return _settle(
        exchanges.withdraw_exchange, exchange_id, _("You withdrew the exchange. No hours moved.")
    )


@bp.post("/exchanges/<id:exchange_id>/dispute")
def exchange_dispute(exchange_id: int):
    return _settle(
        exchanges.dispute_exchange,
        exchange_id,
        _("You disputed the exchange: it will not be confirmed automatically. No hours moved."),
    )


@bp.post("/exchanges/<id:exchange_id>/reverse")
def exchange_reverse(exchange_id: int):
    exchange = exchanges.get_exchange_for(db.session, current_user, exchange_id)
    form = ReverseForm()
    outcome = attempt(
        lambda: exchanges.reverse_exchange(
            db.session,
            actor=current_user,
            exchange_id=exchange_id,
            reason=form.reason.data or "",
            now=utcnow(),
        ),
        form=form,
    )
    if isinstance(outcome.error, ValidationFailed):
        in_page_language(form, outcome.error)
        return _exchange_page(exchange, form)
    if outcome.ok:
        flash(_("The exchange is reversed: the hours have gone back."), "success")
    else:  # a clash with the ledger's state is a banner on the exchange page
        flash(error_message(outcome.error), "error")
    return redirect(url_for("timebank.exchange", exchange_id=exchange_id))


def _party_choices(*, include_self: bool, include_organisation: bool) -> list[tuple[str, str]]:
    """Active people in the actor's organisation, for a select. The service checks the choice."""
    people = db.session.scalars(
        select(User)
        .where(User.organisation_id == current_user.organisation_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    choices = [("", _("Choose someone"))]
    if include_organisation:
        organisation = current_user.organisation.name
        choices.append(
            (
                ORGANISATION_CHOICE,
                _("%(organisation)s (the organisation)", organisation=organisation),
            )
        )
    choices += [
        (str(person.id), person.name)
        for person in people
        if include_self or person.id != current_user.id
    ]
    choices += [
        (str(person.id), f"{person.name} ({person.organisation.name})")
        for person in listings.findable_partner_members(db.session, current_user, utcnow())
    ]
    return choices


def _party(value: str, field: str) -> Account:
    if value == ORGANISATION_CHOICE:
        return exchanges.organisation_party(
            db.session, current_user, current_user.organisation_id, field
        )
    return exchanges.member_party(db.session, current_user, int(value), field)


def _prefill(listing, coordinator: bool) -> dict[str, str]:
    """From a listing: its category and title, and its author on the side they offered."""
    if listing is None:
        return {}
    values = {"category": listing.category, "description": listing.title}
    offered = listing.kind == "offer"
    if coordinator:
        values["provider_id" if offered else "receiver_id"] = str(listing.user_id)
    elif listing.user_id != current_user.id:
        values["other"] = str(listing.user_id)
        values["direction"] = "received" if offered else "gave"
    return values


@bp.route("/exchanges/new", methods=["GET", "POST"], endpoint="exchange_new")
def exchange_new():
    now = utcnow()
    listing_id = id_arg("listing", N_("We could not find that listing."))
    listing = None
    if listing_id is not None:
        try:
            listing = exchanges.listing_for_exchange(db.session, current_user, listing_id, now)
        except DomainError as error:
            raise NotFound(error.message) from None
    coordinator = current_user.is_coordinator
    form_class = CoordinatorExchangeForm if coordinator else MemberExchangeForm
    form = form_class(occurred_on=london_date(now), **_prefill(listing, coordinator))
    choices = _party_choices(include_self=coordinator, include_organisation=True)
    if coordinator:
        form.provider_id.choices = form.receiver_id.choices = choices
    else:
        form.other.choices = choices
    if form.validate_on_submit():

        def record() -> Exchange:
            if coordinator:
                provider = _party(form.provider_id.data, "provider_id")
                receiver = _party(form.receiver_id.data, "receiver_id")
            else:
                mine = services.member_account(db.session, current_user)
                other = _party(form.other.data, "other")
                provider, receiver = (
                    (mine, other) if form.direction.data == "gave" else (other, mine)
                )
            return exchanges.record_exchange(
                db.session,
                actor=current_user,
                new=exchanges.NewExchange(
                    provider=provider,
                    receiver=receiver,
                    minutes=form.minutes.minutes,
                    category=form.category.data,
                    occurred_on=form.occurred_on.data,
                    description=form.description.data or "",
                    listing=listing,
                ),
                now=now,
            )

        # The member's form names the other side "other".
        rename = {} if coordinator else {"provider_id": "other", "receiver_id": "other"}
        outcome = attempt(record, form=form, expected=(DomainError,), rename=rename)
        in_page_language(form, outcome.error)
        if outcome.ok:
            flash(_recorded_message(outcome.value), "success")
            return redirect(url_for("timebank.exchange", exchange_id=outcome.value.id))
    return render_template(
        "timebank/exchange_new.html", form=form, listing=listing, coordinator=coordinator
    )


def _recorded_message(exchange: Exchange) -> str:
    # A flash message travels in the session cookie: the time, never the people's names.
    time = format_minutes(exchange.minutes)
    if exchange.status == "confirmed":
        return _("The exchange is recorded and confirmed: %(time)s.", time=time)
    waiting = awaiting_party(exchange)
    if waiting is not None and waiting.kind == "member":
        return _(
            "The exchange is recorded and is waiting for the other person to confirm it. "
            "No hours move until then."
        )
    return _(
        "The exchange is recorded and is waiting for a coordinator to confirm it. "
        "No hours move until then."
    )


@bp.get("/exchanges/overdue", endpoint="exchanges_overdue")
def exchanges_overdue():
    now = utcnow()
    overdue = exchanges.overdue_pending(db.session, actor=current_user, now=now)
    return render_template(
        "timebank/overdue.html",
        rows=[(exchange, (now - exchange.created_at).days) for exchange in overdue],
        days=exchanges.OVERDUE_DAYS,
    )


# --- listings -----------------------------------------------------------------------------------


@bp.get("/listings", endpoint="listings")
def listings_page():
    form = ListingSearchForm(formdata=request.args)
    page = None
    if form.validate():
        page = db.paginate(
            listings.search_listings(
                db.session,
                actor=current_user,
                now=utcnow(),
                kind=form.kind.data,
                category=form.category.data or None,
                keyword=form.q.data,
            ),
            page=page_arg(),
            per_page=PER_PAGE,
            max_per_page=PER_PAGE,
            error_out=False,
        )
    query = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("timebank/listings.html", form=form, page=page, query=query)


@bp.route("/listings/new", methods=["GET", "POST"], endpoint="listing_new")
def listing_new():
    form = ListingForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: listings.create_listing(
                db.session,
                actor=current_user,
                new=listings.NewListing(
                    kind=form.kind.data,
                    title=form.title.data,
                    category=form.category.data,
                    description=form.description.data or "",
                    availability=form.availability.data or "",
                ),
                now=utcnow(),
            ),
            form=form,
            expected=(DomainError,),
        )
        in_page_language(form, outcome.error)
        if outcome.ok:
            flash(_("Your listing is up. It stays for six months unless you renew it."), "success")
            return redirect(url_for("timebank.listing", listing_id=outcome.value.id))
    return render_template("timebank/listing_new.html", form=form)


@bp.get("/listings/mine", endpoint="listings_mine")
def listings_mine():
    return render_template(
        "timebank/listings_mine.html",
        mine=listings.listings_of(db.session, current_user),
        today=london_date(utcnow()),
    )


@bp.get("/listings/<id:listing_id>", endpoint="listing")
def listing_page(listing_id: int):
    listing = listings.get_listing_for(db.session, current_user, listing_id)
    today = london_date(utcnow())
    live = listing.withdrawn_at is None and listing.expires_on >= today
    return render_template(
        "timebank/listing.html",
        listing=listing,
        live=live,
        can_change=permissions.can_change_listing(current_user, listing),
        can_propose=live and listing.user_id != current_user.id and listing.user.active,
    )


@bp.post("/listings/<id:listing_id>/withdraw")
def listing_withdraw(listing_id: int):
    listings.withdraw_listing(db.session, actor=current_user, listing_id=listing_id, now=utcnow())
    commit()
    flash(_("The listing is withdrawn. Nobody else can see it now."), "success")
    return redirect(url_for("timebank.listing", listing_id=listing_id))


@bp.post("/listings/<id:listing_id>/renew")
def listing_renew(listing_id: int):
    listing = listings.renew_listing(
        db.session, actor=current_user, listing_id=listing_id, now=utcnow()
    )
    commit()
    flash(
        _("The listing is renewed until %(day)s.", day=format_date(listing.expires_on)), "success"
    )
    return redirect(url_for("timebank.listing", listing_id=listing_id))


# --- the directory ------------------------------------------------------------------------------


@bp.get("/directory")
def directory():
    return render_template(
        "timebank/directory.html",
        cards=listings.directory(db.session, actor=current_user, now=utcnow()),
        entry=listings.directory_entry(db.session, current_user),
    )


@bp.route("/directory/me", methods=["GET", "POST"], endpoint="directory_me")
def directory_me():
    form = DirectoryForm(obj=listings.directory_entry(db.session, current_user))
    if form.validate_on_submit():
        outcome = attempt(
            lambda: listings.update_directory_entry(
                db.session,
                actor=current_user,
                listed=form.listed.data,
                about=form.about.data or "",
                show_email=form.show_email.data,
                show_district=form.show_district.data,
                now=utcnow(),
            ),
            form=form,
            expected=(DomainError,),
        )
        in_page_language(form, outcome.error)
        if outcome.ok:
            if outcome.value.listed:
                flash(_("Your directory entry is saved."), "success")
            else:
                flash(_("You are not listed in the directory."), "success")
            return redirect(url_for("timebank.directory"))
    return render_template(
        "timebank/directory_me.html",
        form=form,
        postcode_district=district(current_user.postcode) if current_user.postcode else None,
    )


# --- the community chest ------------------------------------------------------------------------


def _chest() -> Account:
    return services.organisation_account(db.session, current_user.organisation_id, "chest")


@bp.route("/chest/donate", methods=["GET", "POST"], endpoint="chest_donate")
def chest_donate():
    form = DonationForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: exchanges.donate_to_chest(
                db.session, actor=current_user, minutes=form.minutes.minutes, now=utcnow()
            ),
            form=form,
            expected=(DomainError,),
        )
        in_page_language(form, outcome.error)
        if outcome.ok:
            flash(
                _(
                    "Thank you. You gave %(time)s to the community chest.",
                    time=format_minutes(form.minutes.minutes),
                ),
                "success",
            )
            return redirect(url_for("timebank.hours"))
    return render_template(
        "timebank/chest_donate.html",
        form=form,
        chest=_chest(),
        account=services.member_account(db.session, current_user),
    )


@bp.route("/chest/grant", methods=["GET", "POST"], endpoint="chest_grant")
def chest_grant():
    require_coordinator(current_user)
    form = GrantForm()
    form.member_id.choices = _party_choices(include_self=True, include_organisation=False)
    if form.validate_on_submit():
        member_id = int(form.member_id.data)
        outcome = attempt(
            lambda: exchanges.grant_from_chest(
                db.session,
                actor=current_user,
                member_id=member_id,
                minutes=form.minutes.minutes,
                reason=form.reason.data,
                now=utcnow(),
            ),
            form=form,
            expected=(DomainError,),
        )
        in_page_language(form, outcome.error)
        if outcome.ok:
            flash(
                _(
                    "%(time)s granted from the community chest.",
                    time=format_minutes(form.minutes.minutes),
                ),
                "success",
            )
            return redirect(url_for("timebank.member_hours", member_id=member_id))
    return render_template("timebank/chest_grant.html", form=form, chest=_chest())
