"""The WSGI entry point. Without APP_ENV it is production: `gunicorn wsgi:app` with no
configuration refuses to start (no SECRET_KEY) instead of running with an insecure one."""

import os

from app import create_app

app = create_app(os.environ.get("APP_ENV") or "production")
