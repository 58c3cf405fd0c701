"""The audit trail and the conditions list."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...auth.models import User
from ...auth.permissions import can_add_condition
from ...auth.services import audit_trail_query
from ...clock import utcnow
from ...errors import Forbidden
from ...extensions import db
from ...pages import attempt
from .. import conditions
from ..forms import (
    ConditionForm,
)
from .common import (
    PER_PAGE,
    bp,
    member_id_arg,
    on_form,
    page_number,
)

# --- the audit trail and the conditions list ----------------------------------------------------


@bp.get("/audit")
def audit_page():
    member_id = member_id_arg("member")
    statement = audit_trail_query(db.session, current_user, member_id)
    person = db.session.get(User, member_id) if member_id else None
    page = db.paginate(statement, page=page_number(), per_page=PER_PAGE, error_out=False)
    ids = {e.actor_id for e in page.items} | {e.member_id for e in page.items}
    ids |= {e.acting_for_id for e in page.items}
    names = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(ids - {None}))).all()
    )
    return render_template("peers/audit.html", page=page, person=person, names=names)


@bp.route("/conditions", methods=["GET", "POST"])
def conditions_page():
    form = ConditionForm() if can_add_condition(current_user) else None
    if form is None and request.method == "POST":
        raise Forbidden(_("Only administrators can add conditions."))
    if form is not None and form.validate_on_submit():
        outcome = attempt(
            lambda: conditions.add_condition(
                db.session,
                actor=current_user,
                code=form.code.data,
                name=form.name.data,
                group=form.group.data,
                now=utcnow(),
            ),
            **on_form(form),
        )
        if outcome.ok:
            flash(_("%(name)s is added to the list.", name=outcome.value.name), "success")
            return redirect(url_for("peers.conditions_page"))
    taxonomy = conditions.all_conditions(db.session)
    groups = [(group, list(items)) for group, items in groupby(taxonomy, key=attrgetter("group"))]
    return render_template("peers/conditions.html", groups=groups, form=form, count=len(taxonomy))
