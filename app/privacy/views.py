"""Pages for privacy rights: the printable export (and its JSON download) and erasure."""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..extensions import db
from ..pages import attempt, commit
from ..templating import format_date
from . import services
from .forms import EraseForm
from .permissions import can_erase, can_export

bp = Blueprint("privacy", __name__)


@bp.app_context_processor
def privacy_rights():
    """Pages outside this capability (the members list) offer export and erasure exactly when
    they would be allowed."""
    return {"can_export": can_export, "can_erase": can_erase}


@bp.app_template_filter("export_label")
def export_label(key: str) -> str:
    """A section's field name in words: ``balance_after_minutes`` → "Balance after minutes"."""
    return key.replace("_", " ").capitalize()


@bp.app_template_filter("export_value")
def export_value(value) -> str:
    if value is None or value == "" or value == []:
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date | datetime):
        return format_date(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return str(value)


@bp.get("/members/<id:member_id>/export")
@login_required
def export_page(member_id: int):
    export = services.export_person(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()  # the audit row of this view
    return render_template("privacy/export.html", export=export)


@bp.get("/members/<id:member_id>/export.json")
@login_required
def export_download(member_id: int):
    export = services.export_person(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()
    return Response(
        json.dumps(export.as_json(), indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="member-{member_id}-export.json"'},
    )


@bp.route("/members/<id:member_id>/erase", methods=["GET", "POST"])
@login_required
def erase_page(member_id: int):
    person = services.person_to_erase(db.session, current_user, member_id)
    erasure = services.erasure_of(db.session, person)
    form = EraseForm()
    if erasure is None and form.validate_on_submit():
        outcome = attempt(
            lambda: services.erase_person(
                db.session,
                actor=current_user,
                member_id=member_id,
                reason=form.reason.data,
                now=utcnow(),
            ),
            form=form,
        )
        if outcome.ok:
            flash("The member has been erased. They can no longer sign in.", "success")
            return redirect(url_for("privacy.erase_page", member_id=member_id))
    return render_template(
        "privacy/erase.html",
        form=form,
        person=person,
        erasure=erasure,
        erased_name=f"{services.ERASED_NAME} {person.id}",
    )
