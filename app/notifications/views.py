"""Pages: the inbox with mark-as-read, email preferences, and what is waiting in a member's
inbox for their coordinator. Also the unread count every page's header shows."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..clock import utcnow
from ..extensions import db
from ..forms import page_arg
from ..i18n import N_
from ..pages import attempt, commit
from . import services

bp = Blueprint("notifications", __name__)

PER_PAGE = 50
# The preferences page shows each kind's label (services.KINDS) through translated(): the labels
# are marked for translation here, and a test keeps this list and KINDS in step.
KIND_LABELS = (
    N_("Support plan reviews falling due"),
    N_("Referrals waiting a long time for a peer"),
    N_("Exchanges waiting for you to confirm"),
    N_("Exchanges about to be, or just, confirmed automatically"),
    N_("Your listings about to expire"),
    N_("Check-ins on peer support: 2 weeks and 3 months after an introduction"),
    N_("A weekly digest of new offers and requests near you"),
)


@bp.app_context_processor
def unread_notifications():
    """``unread_notifications()`` in templates: one indexed count, only when asked for."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(db.session, current_user)

    return {"unread_notifications": count}


@bp.before_request
@login_required
def require_sign_in():
    pass


@bp.get("/inbox")
def inbox():
    page = db.paginate(
        services.inbox_query(current_user),
        page=page_arg(),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("notifications/inbox.html", page=page, form=FlaskForm())


@bp.post("/inbox/<id:notification_id>/read")
def mark_read(notification_id: int):
    attempt(
        lambda: services.mark_read(
            db.session, actor=current_user, notification_id=notification_id, now=utcnow()
        )
    )
    flash(_("Marked as read."), "success")
    return redirect(url_for("notifications.inbox"))


@bp.post("/inbox/read-all")
def mark_all_read():
    outcome = attempt(lambda: services.mark_all_read(db.session, actor=current_user, now=utcnow()))
    flash(
        _("Everything in your inbox is marked as read.")
        if outcome.value
        else _("There was nothing unread."),
        "success",
    )
    return redirect(url_for("notifications.inbox"))


@bp.route("/inbox/preferences", methods=["GET", "POST"])
def preferences():
    form = FlaskForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.set_preferences(
                db.session,
                actor=current_user,
                email_kinds=set(request.form.getlist("email")),
                subscribed_kinds=set(request.form.getlist("subscribed")),
                now=utcnow(),
            )
        )
        if outcome.ok:
            flash(_("Your choices are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html",
        form=form,
        preferences=services.preferences_of(db.session, current_user),
    )


@bp.get("/members/<id:member_id>/inbox")
def member_inbox(member_id: int):
    person, unread = services.waiting_for(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    html = render_template("notifications/member_inbox.html", person=person, unread=unread)
    commit()  # the look is audited
    return html
