"""Peer profiles: the list, adding, checks and approval, pausing."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...auth.services import require_coordinator
from ...clock import utcnow
from ...errors import Conflict
from ...extensions import db
from ...forms import show_domain_error
from ...i18n import translated
from ...pages import attempt, commit
from .. import conditions, profiles
from ..forms import (
    NewPeerForm,
    PeerDetailsForm,
    join_languages,
    split_languages,
)
from ..models import PeerProfile
from .common import (
    PER_PAGE,
    PLAIN_FIELD_MESSAGES,
    FieldMessages,
    bp,
    member_id_arg,
    member_of_my_organisation,
    on_form,
    page_number,
    prepare_member_field,
    render_and_commit,
    with_conditions,
)

# --- peers --------------------------------------------------------------------------------------


def _peer_details(form: PeerDetailsForm) -> profiles.PeerDetails:
    return profiles.PeerDetails(
        support_types=form.support_types.data,
        modes=form.modes.data,
        languages=split_languages(form.languages.data),
        capacity=form.capacity.number,
        travel_km=form.travel_km.number,
        gender=(form.gender.data or "").strip() or None,
        references_checked_on=form.references_checked_on.data,
        dbs_checked_on=form.dbs_checked_on.data,
        training_completed_on=form.training_completed_on.data,
        notes=(form.notes.data or "").strip(),
    )


def _peer_form_data(profile: PeerProfile) -> dict:
    return {
        "support_types": list(profile.support_types or []),
        "modes": list(profile.modes or []),
        "languages": join_languages(profile.languages),
        "capacity": str(profile.capacity),
        "travel_km": str(profile.travel_km),
        "gender": profile.gender or "",
        "references_checked_on": profile.references_checked_on,
        "dbs_checked_on": profile.dbs_checked_on,
        "training_completed_on": profile.training_completed_on,
        "notes": profile.notes or "",
    }


@bp.get("/peers")
def peers_page():
    require_coordinator(current_user)
    statement = profiles.peers_query(current_user).options(joinedload(PeerProfile.member))
    page = db.paginate(statement, page=page_number(), per_page=PER_PAGE, error_out=False)
    profiles.record_peers_listed(db.session, actor=current_user, shown=page.items, now=utcnow())
    return render_and_commit("peers/peers.html", page=page, needs_dbs=profiles.needs_dbs)


@bp.route("/peers/new", methods=["GET", "POST"])
def peer_new():
    require_coordinator(current_user)
    member_id = member_id_arg("member")
    person = member_of_my_organisation(member_id) if member_id else None
    form = NewPeerForm()
    prepare_member_field(form, person)
    with_conditions(form, "condition_codes", "carer_condition_codes")
    if form.validate_on_submit():
        outcome = attempt(
            lambda: profiles.create_peer(
                db.session,
                actor=current_user,
                member_id=int(form.member_id.data),
                details=_peer_details(form),
                condition_codes=form.condition_codes.data,
                carer_condition_codes=form.carer_condition_codes.data,
                consent_given=bool(form.health_data_consent.data),
                approve=bool(form.approve.data),
                now=utcnow(),
            ),
            **on_form(form),
        )
        if outcome.ok:
            profile = outcome.value
            if profile.approved:
                flash(_("The peer is added and approved."), "success")
            else:
                flash(_("The peer is added. Approve them when their checks are done."), "success")
            return redirect(url_for("peers.peer", peer_id=profile.id))
    if person is not None and not form.is_submitted():
        # Saving replaces the conditions held for them, so start from what is held (audited).
        own = conditions.conditions_of(
            db.session, actor=current_user, person=person, relationship_kind="own", now=utcnow()
        )
        carer = conditions.condition_rows(db.session, [person.id], "carer").get(person.id, [])
        form.condition_codes.data = [c.code for c in own]
        form.carer_condition_codes.data = [c.code for c in carer]
    return render_and_commit("peers/peer_new.html", form=form, person=person)


@bp.get("/peers/<id:peer_id>")
def peer(peer_id: int):
    view = profiles.view_peer(db.session, current_user, peer_id, now=utcnow())
    return render_and_commit(
        "peers/peer.html",
        profile=view,
        own_conditions=[c.name for c in view.own_conditions],
        carer_conditions=[c.name for c in view.carer_conditions],
        coordinator=view.can_manage,
        needs_dbs=view.needs_dbs,
    )


def _peer_edit_page(profile: PeerProfile, form: PeerDetailsForm):
    return render_and_commit("peers/peer_edit.html", form=form, profile=profile)


@bp.route("/peers/<id:peer_id>/edit", methods=["GET", "POST"])
def peer_edit(peer_id: int):
    require_coordinator(current_user)
    now = utcnow()
    profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
    form = PeerDetailsForm(data=_peer_form_data(profile))
    if form.validate_on_submit():
        approve = bool(form.approve.data) and not profile.approved

        def save() -> None:
            profiles.update_peer(
                db.session,
                actor=current_user,
                peer_id=peer_id,
                details=_peer_details(form),
                now=now,
            )
            if approve:
                profiles.approve_peer(db.session, actor=current_user, peer_id=peer_id, now=now)

        if not attempt(save, **on_form(form)).ok:
            profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
        else:
            flash(
                _("Saved and approved.") if approve else _("The peer's details are saved."),
                "success",
            )
            return redirect(url_for("peers.peer", peer_id=peer_id))
    return _peer_edit_page(profile, form)


@bp.post("/peers/<id:peer_id>/approve")
def peer_approve(peer_id: int):
    require_coordinator(current_user)
    now = utcnow()
    outcome = attempt(
        lambda: profiles.approve_peer(db.session, actor=current_user, peer_id=peer_id, now=now)
    )
    if isinstance(outcome.error, Conflict):
        flash(translated(outcome.error.message), "info")
    elif outcome.error is not None:
        # What stops the approval is on the edit form, on the fields to put right.
        profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
        form = PeerDetailsForm(formdata=None, data={**_peer_form_data(profile), "approve": True})
        show_domain_error(form, outcome.error, messages=FieldMessages(PLAIN_FIELD_MESSAGES))
        form.form_errors.insert(
            0,
            _(
                "%(name)s cannot be approved yet. Put right what is shown below, then save with "
                "“Approve them as a peer now” ticked.",
                name=profile.member.name,
            ),
        )
        return _peer_edit_page(profile, form)
    else:
        flash(_("They are approved as a peer."), "success")
    return redirect(url_for("peers.peer", peer_id=peer_id))


def _set_paused(peer_id: int, paused: bool):
    profile = profiles.set_paused(
        db.session, actor=current_user, peer_id=peer_id, paused=paused, now=utcnow()
    )
    own = profile.member_id == current_user.id
    commit()
    if paused and own:
        flash(_("Paused: no one new will be offered to you."), "success")
    elif paused:
        flash(_("Paused: no one new will be offered to this peer."), "success")
    elif own:
        flash(_("Resumed: you can be offered again."), "success")
    else:
        flash(_("Resumed: this peer can be offered again."), "success")
    return redirect(url_for("peers.peer", peer_id=peer_id))


@bp.post("/peers/<id:peer_id>/pause")
def peer_pause(peer_id: int):
    return _set_paused(peer_id, True)


@bp.post("/peers/<id:peer_id>/resume")
def peer_resume(peer_id: int):
    return _set_paused(peer_id, False)
