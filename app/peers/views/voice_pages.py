"""What members said (at reviews and when matches closed), for coordinators to tag with the
organisation's themes, and the short list of themes itself."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.services import require_coordinator
from ...clock import utcnow
from ...extensions import db
from ...i18n import translated
from ...pages import attempt
from .. import voice
from ..forms import ThemeForm
from .common import bp, on_form, render_and_commit


def _page(form: ThemeForm | None = None):
    return render_and_commit(
        "peers/voice.html",
        voices=voice.voices_for(db.session, current_user),
        themes=voice.themes_of(db.session, current_user.organisation_id),
        form=form or ThemeForm(),
    )


@bp.get("/voice")
def voice_page():
    require_coordinator(current_user)
    return _page()


@bp.post("/voice/themes")
def voice_theme_add():
    require_coordinator(current_user)
    form = ThemeForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: voice.add_theme(
                db.session, actor=current_user, name=form.name.data, now=utcnow()
            ),
            **on_form(form),
        )
        if outcome.ok:
            flash(_("Theme added: %(theme)s", theme=translated(outcome.value.name)), "success")
            return redirect(url_for("peers.voice_page", _anchor="themes"))
    return _page(form), 422


@bp.post("/voice/themes/suggested")
def voice_themes_suggested():
    require_coordinator(current_user)
    outcome = attempt(
        lambda: voice.add_suggested_themes(db.session, actor=current_user, now=utcnow()),
        banner=True,
    )
    if outcome.ok:
        flash(_("The suggested themes are on your list. Add your own, or take any off."), "success")
    return redirect(url_for("peers.voice_page", _anchor="themes"))


@bp.post("/voice/themes/<id:theme_id>/retire")
def voice_theme_retire(theme_id: int):
    require_coordinator(current_user)
    outcome = attempt(
        lambda: voice.retire_theme(db.session, actor=current_user, theme_id=theme_id),
        banner=True,
    )
    if outcome.ok:
        flash(
            _("Theme taken off the list: %(theme)s", theme=translated(outcome.value.name)),
            "success",
        )
    return redirect(url_for("peers.voice_page", _anchor="themes"))


@bp.post("/voice/<id:voice_id>/tags")
def voice_tag(voice_id: int):
    require_coordinator(current_user)
    chosen = [
        theme_id
        for raw in request.form.getlist("themes")
        if (theme_id := id_arg_value(raw)) is not None
    ]
    outcome = attempt(
        lambda: voice.tag_voice(
            db.session, actor=current_user, voice_id=voice_id, theme_ids=chosen, now=utcnow()
        ),
        banner=True,
    )
    if outcome.ok:
        flash(_("The themes are saved."), "success")
    return redirect(url_for("peers.voice_page", _anchor=f"voice-{voice_id}"))


def id_arg_value(raw: str) -> int | None:
    """A theme id from the form; anything else is ignored (the service checks the list)."""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 else None
