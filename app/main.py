"""The home page and the about page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from .extensions import db
from .timebank.services import limits_for, member_account

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    account = member_account(db.session, current_user)
    return render_template("main/home.html", account=account, limits=limits_for(account))


@bp.get("/about")
def about():
    return render_template("main/about.html")
