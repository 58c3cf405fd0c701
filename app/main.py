"""The home page, the about page and the language switcher."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user

from .auth.services import set_locale
from .auth.views import _safe_next
from .extensions import db
from .i18n import LANGUAGES, SESSION_KEY
from .pages import attempt
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


@bp.post("/language")
def change_language():
    """The switcher: stored for a signed-in person (their pages and email), else for the visit."""
    locale = request.form.get("locale", "")
    if current_user.is_authenticated:
        attempt(
            lambda: set_locale(db.session, actor=current_user, locale=locale, known=LANGUAGES),
            banner=True,
        )
    elif locale in LANGUAGES:
        session[SESSION_KEY] = locale
    return redirect(_safe_next(request.form.get("next")))
