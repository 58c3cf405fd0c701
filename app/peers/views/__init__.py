"""The peers pages, one module a concept, on one blueprint (``peers``): plans, referrals, peer
profiles, health data and consent, and the audit trail with the conditions list."""

from . import (  # noqa: F401
    audit_pages,
    health_pages,
    peer_pages,
    plan_pages,
    referral_pages,
    voice_pages,
)
from .common import bp, format_pounds

__all__ = ["bp", "format_pounds"]
