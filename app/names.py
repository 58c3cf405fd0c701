"""Names that are data, in other languages: a condition's name and group, an exchange category.

Each is keyed by what never changes (a condition's code, a category's code, a group as it is
stored) and a locale; the source (English) name stays where it always was (the condition's
row, ``app.timebank.categories``). A name with no translation for a locale (a condition an
administrator added, say) is shown as it is. Pages read these through ``app.templating``
(``condition_name``, ``condition_group``, ``category_name``); the API keeps the source names.
"""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

CONDITION = "condition"
CONDITION_GROUP = "condition_group"
CATEGORY = "category"
KINDS = (CONDITION, CONDITION_GROUP, CATEGORY)


class NameTranslation(db.Model):
    """One name in one language: ``(kind, code, locale)`` → ``name``."""

    __tablename__ = "name_translation"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(120), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


def names_in(session: Session, locale: str) -> dict[tuple[str, str], str]:
    """Every translated name for ``locale``, by (kind, code): one small query a page."""
    rows = session.execute(
        select(NameTranslation.kind, NameTranslation.code, NameTranslation.name).where(
            NameTranslation.locale == locale
        )
    )
    return {(kind, code): name for kind, code, name in rows}


def set_name(session: Session, *, kind: str, code: str, locale: str, name: str) -> None:
    """Give (or change) the name of ``code`` in ``locale``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of name: {kind!r}")
    row = session.get(NameTranslation, (kind, code, locale))
    if row is None:
        session.add(NameTranslation(kind=kind, code=code, locale=locale, name=name))
    else:
        row.name = name
    session.flush()
