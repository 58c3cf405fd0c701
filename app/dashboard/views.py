"""The coordinator's dashboard page: what needs doing today."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..clock import utcnow
from ..extensions import db
from . import services

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    items = services.todays_work(db.session, actor=current_user, now=utcnow())
    return render_template("dashboard/dashboard.html", items=items)
