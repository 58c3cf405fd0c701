"""The report page's one form: a period and a level of disclosure (a GET: it only asks)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField

from . import disclosure as dc

DISCLOSURE_CHOICES = [
    (dc.COORDINATOR, "Exact, for coordinators (small rows suppressed)"),
    (dc.PUBLISHED, "Fit to publish (NHS rule for published counts)"),
]


class ReportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET: it only asks

    start = StringField("From")
    end = StringField("To")
    disclosure = RadioField("Who is it for?", choices=DISCLOSURE_CHOICES, default=dc.COORDINATOR)
