"""The scheduler process (``flask scheduler run``): never inside web workers.

A BlockingScheduler runs ``run_due`` every hour and once at start, so what was missed while it
was down happens once on start. ``misfire_grace_time`` is hours (APScheduler's default of one
second would drop a run that is late at all) and ``coalesce`` folds several missed runs into
one. Duplicates are impossible either way: the jobs are idempotent by their data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..clock import LONDON, utcnow

log = logging.getLogger("giveandget.scheduler")

MISFIRE_GRACE_SECONDS = 6 * 60 * 60
JOB_ID = "run_due"
OUTBOX_JOB_ID = "outbox"
OUTBOX_SECONDS = 60


def build_scheduler(
    run_due_now: Callable[[], object], send_outbox_now: Callable[[], object] | None = None
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=LONDON,
        job_defaults={
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            "coalesce": True,
            "max_instances": 1,
        },
    )
    scheduler.add_job(
        run_due_now,
        CronTrigger(minute=5, timezone=LONDON),  # five past every hour, London time
        id=JOB_ID,
        name="Every scheduled job (reminders, automatic confirmations, digests)",
        next_run_time=datetime.now(LONDON),  # catch up at once on start
        replace_existing=True,
        # Also on the job itself: a job added before start() gets the defaults only then.
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    if send_outbox_now is not None:
        # Email a request leaves for later (a password reset) and email that failed before:
        # every minute, so a reset link arrives promptly and a dead mail server loses nothing.
        scheduler.add_job(
            send_outbox_now,
            IntervalTrigger(seconds=OUTBOX_SECONDS, timezone=LONDON),
            id=OUTBOX_JOB_ID,
            name="Send the email outbox",
            replace_existing=True,
            misfire_grace_time=OUTBOX_SECONDS,
            coalesce=True,
            max_instances=1,
        )
    return scheduler


def now_utc() -> datetime:
    return utcnow()
