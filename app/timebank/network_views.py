"""Pages: partnerships with other organisations, and moving a timebank in (upload, dry run,
confirm). Thin: each calls one service in ``partnerships`` or ``imports``."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..clock import london_date, utcnow
from ..errors import Conflict, DomainError, Forbidden
from ..extensions import db
from ..i18n import N_
from ..pages import attempt
from . import imports, partnerships
from .forms import error_message, in_page_language
from .network_forms import ConfirmImportForm, ImportForm, PartnershipForm
from .permissions import can_import_members, can_propose_partnership

bp = Blueprint("network", __name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a 20,000-transfer TimeOverflow file is under 1 MB
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


@bp.before_request
@login_required
def require_sign_in():
    return None


# --- partnerships -------------------------------------------------------------------------------


def _partnership_form() -> PartnershipForm:
    form = PartnershipForm()
    form.partner_organisation_id.choices = [("", _("Choose an organisation"))] + [
        (str(o.id), o.name) for o in partnerships.organisations_to_partner(db.session, current_user)
    ]
    return form


@bp.get("/partnerships", endpoint="partnerships")
def partnerships_page():
    return _render_partnerships(_partnership_form())


def _render_partnerships(form: PartnershipForm, status: int = 200):
    return (
        render_template(
            "timebank/partnerships.html",
            views=partnerships.partnerships_for(db.session, current_user),
            form=form if can_propose_partnership(current_user) else None,
        ),
        status,
    )


@bp.post("/partnerships", endpoint="partnership_propose")
def partnership_propose():
    if not can_propose_partnership(current_user):
        raise Forbidden(N_("Only a coordinator can propose a partnership."))
    form = _partnership_form()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: partnerships.propose_partnership(
                db.session,
                actor=current_user,
                partner_organisation_id=int(form.partner_organisation_id.data),
                limit_minutes=form.limit.minutes,
                now=utcnow(),
            ),
            form=form,
            rename={"limit_minutes": "limit"},
        )
        in_page_language(form, outcome.error)
        if outcome.ok:
            flash(
                _(
                    "The partnership is proposed. It starts when a coordinator of "
                    "%(organisation)s accepts it.",
                    organisation=outcome.value.partner_organisation.name,
                ),
                "success",
            )
            return redirect(url_for("network.partnerships"))
    return _render_partnerships(form, 422)


def _move(action, partnership_id: int, done: str):
    outcome = attempt(
        lambda: action(db.session, actor=current_user, partnership_id=partnership_id, now=utcnow()),
        expected=(Conflict,),
    )
    if outcome.ok:
        flash(done, "success")
    else:  # a clash with the partnership's state: a banner, in the page's language
        flash(error_message(outcome.error), "error")
    return redirect(url_for("network.partnerships"))


@bp.post("/partnerships/<id:partnership_id>/accept", endpoint="partnership_accept")
def partnership_accept(partnership_id: int):
    return _move(
        partnerships.accept_partnership,
        partnership_id,
        _("The partnership is active: members can now exchange time across."),
    )


@bp.post("/partnerships/<id:partnership_id>/end", endpoint="partnership_end")
def partnership_end(partnership_id: int):
    return _move(
        partnerships.end_partnership,
        partnership_id,
        _("The partnership has ended. Its history is kept; no new exchanges across."),
    )


# --- moving a timebank in -----------------------------------------------------------------------


def _require_importer() -> None:
    if not can_import_members(current_user):
        raise Forbidden(N_("Only a coordinator can move members in."))


def _upload_dir(token: str) -> Path:
    if not TOKEN.match(token):
        abort(404)
    return Path(current_app.instance_path) / "imports" / token


def _forget_old_uploads(max_age_seconds: int = 24 * 3600) -> None:
    """Dry runs nobody confirmed: their files go after a day."""
    import time

    root = Path(current_app.instance_path) / "imports"
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > max_age_seconds:
            shutil.rmtree(folder, ignore_errors=True)


def _read_upload(field) -> bytes | None:
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    content = storage.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        field.errors = [
            _("The file must be smaller than %(size)s MB.", size=MAX_UPLOAD_BYTES // (1024 * 1024))
        ]
        return b""
    return content


def _book(source: str, encoding: str, members: bytes, transfers: bytes | None, names):
    today = london_date(utcnow())
    if source == imports.TIMEOVERFLOW:
        return imports.read_timeoverflow(
            members=members,
            transfers=transfers or b"",
            members_file=names[0],
            transfers_file=names[1] or "transfers.csv",
            today=today,
            encoding=encoding,
        )
    return imports.read_generic(
        members=members,
        members_file=names[0],
        history=transfers,
        history_file=names[1],
        today=today,
        encoding=encoding,
    )


@bp.get("/import", endpoint="import_start")
def import_start():
    _require_importer()
    return render_template("timebank/import.html", form=ImportForm(), problems=None)


@bp.post("/import", endpoint="import_check")
def import_check():
    """The dry run: every row checked, the reconciliation shown, nothing written."""
    _require_importer()
    form = ImportForm()
    problems = None
    if form.validate_on_submit():
        members, transfers = _read_upload(form.members), _read_upload(form.transfers)
        if members is None:
            form.members.errors = [_("Choose the members file.")]
        elif form.source.data == imports.TIMEOVERFLOW and transfers is None:
            form.transfers.errors = [_("Choose the transfers file.")]
        if not form.members.errors and not form.transfers.errors:
            names = (
                form.members.data.filename,
                form.transfers.data.filename if transfers is not None else None,
            )
            try:
                book = _book(form.source.data, form.encoding.data, members, transfers, names)
                result = imports.reconcile(
                    db.session,
                    actor=current_user,
                    organisation_id=current_user.organisation_id,
                    book=book,
                )
            except imports.ImportRejected as rejected:
                problems = rejected
            else:
                db.session.rollback()
                _forget_old_uploads()
                token = secrets.token_urlsafe(24)
                folder = _upload_dir(token)
                folder.mkdir(parents=True)
                (folder / "members.csv").write_bytes(members)
                if transfers is not None:
                    (folder / "transfers.csv").write_bytes(transfers)
                (folder / "about.json").write_text(
                    json.dumps(
                        {
                            "actor_id": current_user.id,
                            "source": form.source.data,
                            "encoding": form.encoding.data,
                            "names": names,
                        }
                    )
                )
                return render_template(
                    "timebank/import_check.html",
                    result=result,
                    token=token,
                    form=ConfirmImportForm(),
                )
    return render_template("timebank/import.html", form=form, problems=problems), 422


@bp.post("/import/<token>/confirm", endpoint="import_confirm")
def import_confirm(token: str):
    """The real run: the files the dry run checked, all in one transaction or nothing."""
    _require_importer()
    folder = _upload_dir(token)
    about_file = folder / "about.json"
    if not about_file.exists():
        abort(404)
    about = json.loads(about_file.read_text())
    if about["actor_id"] != current_user.id:
        abort(404)
    if not ConfirmImportForm().validate_on_submit():
        abort(400)
    transfers_file = folder / "transfers.csv"

    def run():
        book = _book(
            about["source"],
            about["encoding"],
            (folder / "members.csv").read_bytes(),
            transfers_file.read_bytes() if transfers_file.exists() else None,
            about["names"],
        )
        return imports.apply_import(
            db.session,
            actor=current_user,
            organisation_id=current_user.organisation_id,
            book=book,
            now=utcnow(),
        )

    outcome = attempt(run, expected=(DomainError,))
    shutil.rmtree(folder, ignore_errors=True)
    if not outcome.ok:
        flash(error_message(outcome.error), "error")
        return redirect(url_for("network.import_start"))
    result = outcome.value
    flash(
        _(
            "Imported %(members)s members and %(transfers)s transfers. Nobody has been emailed: "
            "invite members from their pages when you are ready.",
            members=result.members_to_import,
            transfers=result.transfers_to_import,
        ),
        "success",
    )
    return render_template("timebank/import_done.html", result=result)
