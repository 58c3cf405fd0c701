"""Scheduled jobs: one plain function per job (``run_x(session, now)``, in ``runs``), the
``run_due`` that runs them all, the lock that keeps one scheduler process running, and the
scheduler itself. Jobs are idempotent by their data (``ReminderSent``), not by the scheduler."""
