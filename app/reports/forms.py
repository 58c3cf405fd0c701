"""The report page's one form: a period and a level of disclosure (a GET: it only asks)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField

from . import disclosure as dc

DISCLOSURE_CHOICES = [
    (dc.COORDINATOR, _l("Exact, for coordinators (small rows suppressed)")),
    (dc.PUBLISHED, _l("Fit to publish (NHS rule for published counts)")),
]


class ReportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET: it only asks

    start = StringField(_l("From"))
    end = StringField(_l("To"))
    disclosure = RadioField(
        _l("Who is it for?"), choices=DISCLOSURE_CHOICES, default=dc.COORDINATOR
    )
