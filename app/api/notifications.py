"""The caller's inbox: list it, mark a notification as read (API.md, Notifications)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..clock import utcnow
from ..extensions import db
from ..notifications import services
from .common import PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_notifications", __name__, description="Notifications")


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    read = fields.Function(lambda n: n.read_at is not None, required=True)


@blp.route("/notifications", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_notifications(args):
    """The caller's own inbox, unread first, newest first."""
    return paginate(services.inbox_query(api_user()), args)


@blp.route("/notifications/<id:notification_id>/read", methods=["POST"])
@write
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of the caller's notifications as read (again is harmless)."""
    return services.mark_read(
        db.session, actor=api_user(), notification_id=notification_id, now=utcnow()
    )
