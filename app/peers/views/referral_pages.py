"""Referrals: the queue (longest waiting first), a referral, making and closing one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.services import require_coordinator
from ...clock import utcnow
from ...extensions import db
from ...pages import attempt, commit
from .. import conditions, referrals
from ..forms import (
    ReferralForm,
    split_languages,
)
from .common import (
    PER_PAGE,
    PREFERENCE_FIELDS,
    bp,
    member_id_arg,
    member_of_my_organisation,
    on_form,
    page_number,
    prepare_member_field,
    render_and_commit,
    with_conditions,
)

# --- referrals ----------------------------------------------------------------------------------


@bp.get("/referrals")
def referrals_page():
    """The queue: waiting first, longest waiting first. It shows conditions, so each person's
    row is audited, as in the API."""
    require_coordinator(current_user)
    now = utcnow()
    statement = referrals.referrals_query(db.session, current_user)
    page = db.paginate(statement, page=page_number(), per_page=PER_PAGE, error_out=False)
    member_ids = [r.member_id for r in page.items]
    own = conditions.condition_rows(db.session, member_ids, "own")
    carer = conditions.condition_rows(db.session, member_ids, "carer")
    referrals.record_referrals_listed(db.session, actor=current_user, shown=page.items, now=now)
    rows = []
    for referral in page.items:
        found = (carer if referral.is_carer else own).get(referral.member_id, [])
        rows.append((referral, [c.name for c in found], referrals.days_waiting(referral, now)))
    return render_and_commit("peers/referrals.html", page=page, rows=rows)


@bp.route("/referrals/new", methods=["GET", "POST"])
def referral_new():
    require_coordinator(current_user)
    member_id = member_id_arg("member")
    person = member_of_my_organisation(member_id) if member_id else None
    form = ReferralForm()
    prepare_member_field(form, person)
    with_conditions(form, "condition_codes")
    if form.validate_on_submit():
        outcome = attempt(
            lambda: referrals.create_referral(
                db.session,
                actor=current_user,
                request=referrals.ReferralRequest(
                    member_id=int(form.member_id.data),
                    condition_codes=form.condition_codes.data,
                    postcode=form.postcode.data or None,
                    support_types=form.support_types.data,
                    modes=form.modes.data,
                    languages=split_languages(form.languages.data),
                    peer_gender=(form.peer_gender.data or "").strip() or None,
                    is_carer=bool(form.is_carer.data),
                    consent_given=bool(form.health_data_consent.data),
                ),
                now=utcnow(),
            ),
            **on_form(form, PREFERENCE_FIELDS),
        )
        if outcome.ok:
            referral = outcome.value
            flash(_("They are in the queue for peer support."), "success")
            return redirect(url_for("peers.referral", referral_id=referral.id))
    return render_template("peers/referral_new.html", form=form, person=person)


@bp.get("/referrals/<id:referral_id>")
def referral(referral_id: int):
    now = utcnow()
    view = referrals.view_referral(db.session, current_user, referral_id, now=now)
    return render_and_commit(
        "peers/referral.html",
        referral=view,
        condition_names=[c.name for c in view.conditions],
        days_waiting=view.days_waiting,
        coordinator=view.can_manage,
    )


@bp.post("/referrals/<id:referral_id>/close")
def referral_close(referral_id: int):
    require_coordinator(current_user)
    referrals.close_referral(db.session, actor=current_user, referral_id=referral_id, now=utcnow())
    commit()
    flash(_("The referral is closed."), "success")
    return redirect(url_for("peers.referral", referral_id=referral_id))
