"""Imports every model so that Alembic and create_app see all tables."""

from .api.models import IdempotencyRecord  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .auth.models import ApiToken, Organisation, SignInAttempt, User, UserToken  # noqa: F401
from .jobs.models import ReminderSent  # noqa: F401
from .mail import OutboxEmail  # noqa: F401
from .matching.models import DeclinedPair, Match, MatchCheckIn, PostcodeCentroid  # noqa: F401
from .names import NameTranslation  # noqa: F401
from .notifications.models import Notification, NotificationPreference  # noqa: F401
from .peers.models import (  # noqa: F401
    Condition,
    HealthDataConsent,
    MemberCondition,
    MemberVoice,
    PeerLanguage,
    PeerMode,
    PeerProfile,
    PeerSupportType,
    PlanOutcome,
    PlanReview,
    PlanSupport,
    PlanVersion,
    Referral,
    ReviewOutcome,
    SupportPlan,
    VoiceTag,
    VoiceTheme,
    WellbeingAnswer,
)
from .privacy.models import Erasure  # noqa: F401
from .reports.models import ReportSnapshot  # noqa: F401
from .timebank.models import (  # noqa: F401
    Account,
    DirectoryEntry,
    Exchange,
    ImportedRecord,
    LedgerTransaction,
    Leg,
    Listing,
    Partnership,
)
