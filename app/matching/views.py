"""Pages for matching: a referral's candidates and "Why not?", proposals, the match page
(accept, decline, introduce, check-ins, peer-support time, close) and the batch.

Each view parses the request, calls one service in ``candidates`` or ``workflow`` and renders
or redirects; reads of people's data are audited, so those views commit after rendering.
"""

from __future__ import annotations

from babel.lists import format_list
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..clock import utcnow
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..i18n import LIST_STYLES, N_, SOURCE_LOCALE, translated
from ..pages import attempt, commit
from ..peers.forms import MODE_LABELS, SUPPORT_TYPE_LABELS
from ..peers.models import PeerProfile
from ..timebank import exchanges
from . import candidates, workflow
from .engine import Listed
from .forms import (
    BatchConfirmForm,
    CheckInForm,
    CloseForm,
    DeclineForm,
    FeedbackForm,
    ProposeForm,
    SupportForm,
    WhyNotForm,
)
from .permissions import can_match

bp = Blueprint("matching", __name__)

MATCH_STATUSES = {
    "proposed": (N_("Proposed: waiting for the peer"), ""),
    "accepted": (N_("Accepted: waiting for the introduction"), "govuk-tag--yellow"),
    "introduced": (N_("Introduced"), "govuk-tag--green"),
    "closed": (N_("Closed"), "govuk-tag--grey"),
    "declined": (N_("Declined"), "govuk-tag--red"),
}
CHECK_IN_KINDS = {
    "2_weeks": N_("2-week check-in"),
    "3_months": N_("3-month check-in"),
    "ad_hoc": N_("Check-in"),
}
SUPPORT_STATUSES = {
    "pending": N_("Pending"),
    "confirmed": N_("Confirmed"),
    "rejected": N_("Rejected"),
    "reversed": N_("Reversed"),
    "withdrawn": N_("Withdrawn"),
}


def say(text: str) -> str:
    """A reason or a rule's message from the engine in the page's language (``translated``
    words a ``Sentence`` whole, then puts its values in)."""
    return translated(text)


def support_words(codes) -> list[str]:
    """The support types asked for, in the page's language."""
    return [translated(str(SUPPORT_TYPE_LABELS.get(code, code))) for code in codes]


def mode_words(codes) -> list[str]:
    """The ways of meeting asked for, in the page's language."""
    return [translated(str(MODE_LABELS.get(code, code))) for code in codes]


def listed(items, style: str = "comma") -> str:
    """Words or names listed as the page's language lists them (English as before: commas, or
    "or" between each)."""
    items = [str(item) for item in items]
    if str(get_locale()) == SOURCE_LOCALE:
        return Listed(items, style).english()
    return format_list(items, style=LIST_STYLES[style], locale=get_locale()) if items else ""


@bp.before_request
@login_required
def require_sign_in():
    """Every page here is for signed-in people."""


@bp.context_processor
def matching_helpers():
    return {
        "match_statuses": {
            code: (translated(words), colour) for code, (words, colour) in MATCH_STATUSES.items()
        },
        "check_in_kinds": {code: translated(words) for code, words in CHECK_IN_KINDS.items()},
        "support_statuses": {code: translated(words) for code, words in SUPPORT_STATUSES.items()},
        "listed": listed,
        "support_words": support_words,
        "mode_words": mode_words,
        "support_type_labels": SUPPORT_TYPE_LABELS,
        "mode_labels": MODE_LABELS,
        "say": say,
    }


def _commit_rendered(template: str, **context):
    """Render, then save the audit events the page's reads recorded, then answer."""
    html = render_template(template, **context)
    commit()
    return html


def _peer_choices(organisation_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        PeerProfile.__table__.select()
        .with_only_columns(PeerProfile.id, PeerProfile.member_id)
        .where(PeerProfile.organisation_id == organisation_id)
        .order_by(PeerProfile.id)
    ).all()
    from ..auth.models import User

    names = {u.id: u.name for u in db.session.query(User).filter(User.id.in_([r[1] for r in rows]))}
    return [("", _("Choose a peer"))] + [
        (str(pid), names.get(mid, _("A peer"))) for pid, mid in rows
    ]


# --- a referral's candidates --------------------------------------------------------------------


@bp.get("/referrals/<id:referral_id>/candidates")
def referral_candidates(referral_id: int):
    now = utcnow()
    referral = candidates.get_referral_for_matching(db.session, current_user, referral_id)
    found = candidates.candidates_for(db.session, current_user, referral_id, 10, now=now)
    why_form = WhyNotForm(formdata=None)
    why_form.peer.choices = _peer_choices(referral.organisation_id)
    why = None
    from flask import request

    chosen = request.args.get("peer", "")
    if chosen:
        why_form.peer.data = chosen
        if chosen.isascii() and chosen.isdigit() and 0 < int(chosen) < 2**31:
            try:
                why = candidates.why_not(
                    db.session, current_user, referral_id, int(chosen), now=now
                )
            except DomainError:
                why_form.peer.errors = [_("Choose a peer from the list.")]
        else:
            why_form.peer.errors = [_("Choose a peer from the list.")]
    peer_names = dict(why_form.peer.choices)
    candidates.record_candidates_listed(
        db.session,
        actor=current_user,
        referral_id=referral_id,
        peer_ids=[s.peer_id for s in found] + ([why.peer_id] if why else []),
        now=now,
    )
    return _commit_rendered(
        "matching/candidates.html",
        referral=referral,
        found=found,
        peer_names=peer_names,
        why_form=why_form,
        why=why,
        propose_form=ProposeForm(),
        live=workflow.live_match_for_referral(db.session, referral_id),
    )


@bp.post("/referrals/<id:referral_id>/propose")
def propose(referral_id: int):
    form = ProposeForm()
    raw = form.peer_id.data or ""
    if not form.validate_on_submit() or not (
        raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31
    ):
        flash(_("Choose a peer to propose."), "error")
        return redirect(url_for("matching.referral_candidates", referral_id=referral_id))
    outcome = attempt(
        lambda: workflow.propose_match(
            db.session,
            actor=current_user,
            referral_id=referral_id,
            peer_id=int(raw),
            now=utcnow(),
            base_url=current_app.config.get("BASE_URL", ""),
        ),
        banner=True,
    )
    if not outcome.ok:
        return redirect(url_for("matching.referral_candidates", referral_id=referral_id))
    flash(_("The peer has been asked. They will accept or decline."), "success")
    return redirect(url_for("matching.match", match_id=outcome.value.id))


# --- matches -----------------------------------------------------------------------------------


@bp.get("/matches")
def matches():
    now = utcnow()
    shown = list(db.session.scalars(workflow.matches_query(current_user).limit(200)))
    workflow.record_matches_listed(db.session, actor=current_user, shown=shown, now=now)
    views = [workflow.view_match(db.session, current_user, m, now) for m in shown]
    return _commit_rendered("matching/matches.html", views=views)


def _match_page(match_id: int, **forms):
    now = utcnow()
    view = workflow.get_match_view(db.session, current_user, match_id, now=now)
    context = {
        "decline_form": DeclineForm(formdata=None),
        "close_form": CloseForm(formdata=None),
        "check_in_form": CheckInForm(formdata=None),
        "support_form": SupportForm(formdata=None),
        "feedback_form": FeedbackForm(formdata=None),
        "action_form": ProposeForm(formdata=None),
    }
    context.update(forms)
    support = workflow.support_exchanges(db.session, view.match)
    return _commit_rendered("matching/match.html", view=view, support=support, **context)


@bp.get("/matches/<id:match_id>")
def match(match_id: int):
    return _match_page(match_id)


def _move(match_id: int, form, service, success: str, form_name: str | None = None, **kwargs):
    """Validate, call the service, commit once; on a refusal show the page with the errors."""
    if form.validate_on_submit():
        outcome = attempt(
            lambda: service(
                db.session,
                actor=current_user,
                match_id=match_id,
                now=utcnow(),
                **kwargs,
            ),
            form=form,
        )
        if outcome.ok:
            flash(translated(success), "success")
            return redirect(url_for("matching.match", match_id=match_id))
    return _match_page(
        match_id, **({form_name: form} if form_name else {})
    ), 422 if form.errors else 200


@bp.post("/matches/<id:match_id>/accept")
def accept(match_id: int):
    return _move(
        match_id,
        ProposeForm(),
        workflow.accept_match,
        N_("You accepted. The person will be asked to agree."),
        "action_form",
    )


@bp.post("/matches/<id:match_id>/decline")
def decline(match_id: int):
    form = DeclineForm()
    return _move(
        match_id,
        form,
        workflow.decline_match,
        N_("Declined. The referral is back in the queue."),
        "decline_form",
        reason=form.reason.data,
    )


@bp.post("/matches/<id:match_id>/introduce")
def introduce(match_id: int):
    return _move(
        match_id,
        ProposeForm(),
        workflow.introduce_match,
        N_("Introduced: contact details are shared both ways."),
        "action_form",
        base_url=current_app.config.get("BASE_URL", ""),
    )


@bp.post("/matches/<id:match_id>/check-ins")
def check_in(match_id: int):
    form = CheckInForm()
    return _move(
        match_id,
        form,
        workflow.record_check_in,
        N_("Check-in recorded."),
        "check_in_form",
        note=form.note.data,
    )


@bp.post("/matches/<id:match_id>/support")
def log_support(match_id: int):
    form = SupportForm()
    return _move(
        match_id,
        form,
        workflow.log_support,
        N_("Peer-support time recorded."),
        "support_form",
        minutes=form.minutes.data,
        occurred_on=form.occurred_on.data,
        description=form.description.data or "",
    )


@bp.post("/matches/<id:match_id>/close")
def close(match_id: int):
    form = CloseForm()
    return _move(
        match_id,
        form,
        workflow.close_match,
        N_("The match is closed."),
        "close_form",
        outcome=form.outcome.data,
        feedback=form.feedback.data or "",
        what_worked=form.what_worked.data or "",
        what_did_not=form.what_did_not.data or "",
        quote_permission=bool(form.quote_permission.data),
    )


@bp.post("/matches/<id:match_id>/feedback")
def feedback(match_id: int):
    form = FeedbackForm()
    return _move(
        match_id,
        form,
        workflow.add_feedback,
        N_("Thank you for your feedback."),
        "feedback_form",
        feedback=form.feedback.data,
    )


@bp.post("/matches/<id:match_id>/support/<id:exchange_id>/confirm")
def confirm_support(match_id: int, exchange_id: int):
    form = ProposeForm()
    if form.validate_on_submit():
        workflow.get_match_for(db.session, current_user, match_id)
        outcome = attempt(
            lambda: exchanges.confirm_exchange(
                db.session, actor=current_user, exchange_id=exchange_id, now=utcnow()
            ),
            banner=True,
        )
        if outcome.ok:
            flash(_("Confirmed: the peer earns the hours from the organisation."), "success")
    return redirect(url_for("matching.match", match_id=match_id))


# --- the batch ------------------------------------------------------------------------------------


@bp.get("/matching/batch")
def batch():
    planned = workflow.plan_batch(db.session, current_user, now=utcnow())
    pairs = ",".join(f"{a.referral_id}:{a.peer_id}" for a in planned.result.assignments)
    form = BatchConfirmForm(formdata=None, pairs=pairs)
    names = _batch_names(planned)
    db.session.rollback()  # a dry run changes nothing
    return render_template("matching/batch.html", planned=planned, form=form, names=names)


def _batch_names(planned) -> dict:
    from ..auth.models import User
    from ..peers.models import Referral

    referral_ids = [a.referral_id for a in planned.result.assignments]
    peer_ids = [a.peer_id for a in planned.result.assignments]
    people = dict(
        db.session.query(Referral.id, User.name)
        .join(User, User.id == Referral.member_id)
        .filter(Referral.id.in_(referral_ids))
    )
    peers = dict(
        db.session.query(PeerProfile.id, User.name)
        .join(User, User.id == PeerProfile.member_id)
        .filter(PeerProfile.id.in_(peer_ids))
    )
    return {"referrals": people, "peers": peers}


@bp.post("/matching/batch")
def batch_confirm():
    form = BatchConfirmForm()
    if not can_match(current_user, current_user.organisation_id):
        raise Forbidden(N_("Only coordinators can match the queue."))
    pairs = []
    for part in (form.pairs.data or "").split(","):
        left, _colon, right = part.partition(":")
        if left.isascii() and left.isdigit() and right.isascii() and right.isdigit():
            if 0 < int(left) < 2**31 and 0 < int(right) < 2**31:
                pairs.append((int(left), int(right)))
    if not form.validate_on_submit() or not pairs:
        flash(_("There was nothing to confirm."), "error")
        return redirect(url_for("matching.batch"))
    outcome = attempt(
        lambda: workflow.confirm_batch(
            db.session,
            actor=current_user,
            pairs=pairs,
            now=utcnow(),
            base_url=current_app.config.get("BASE_URL", ""),
        ),
        expected=(DomainError,),
    )
    if not outcome.ok:
        message = say(outcome.error.message)
        flash(
            _("Nothing was proposed: %(why)s The queue changed; review it again.", why=message),
            "error",
        )
        return redirect(url_for("matching.batch"))
    made = outcome.value
    flash(ngettext("%(num)d peer asked.", "%(num)d peers asked.", len(made)), "success")
    return redirect(url_for("matching.matches"))
