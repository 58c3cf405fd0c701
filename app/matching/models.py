"""Postcode centroids: where a unit postcode, a sector or a district is, on the National Grid."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

CENTROID_KINDS = ("unit", "sector", "district")


class PostcodeCentroid(db.Model):
    """``postcode`` is normalised: a unit 'LS6 2AB', a sector 'LS6 2' or a district 'LS6'.
    Eastings and northings are whole metres on the British National Grid (OSGB36)."""

    __tablename__ = "postcode_centroid"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    easting: Mapped[int]
    northing: Mapped[int]

    __table_args__ = (
        CheckConstraint(f"kind IN {CENTROID_KINDS!r}", name="kind_known"),
        # The National Grid's extent: anything outside it is not a British postcode's centroid.
        CheckConstraint(
            "easting BETWEEN 0 AND 700000 AND northing BETWEEN 0 AND 1300000", name="on_grid"
        ),
    )
