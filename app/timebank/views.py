"""Timebank pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..extensions import db
from . import services

bp = Blueprint("timebank", __name__)


@bp.get("/hours")
@login_required
def hours():
    account = services.member_account(db.session, current_user)
    return render_template(
        "timebank/hours.html", account=account, limits=services.limits_for(account)
    )
