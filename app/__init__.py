"""Give and Get: a timebank and peer-support network for user-led organisations."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text

from config import BASE_DIR, INSTANCE_DIR, ProductionConfig, config_for, settle_secret_key

from .extensions import csrf, db, login_manager, migrate


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(BASE_DIR / "templates"),
        static_folder="static",
    )
    config = config_for(config_name)
    if issubclass(config, ProductionConfig):
        config.check()
    app.config.from_object(config)
    app.config.update(overrides or {})
    INSTANCE_DIR.mkdir(exist_ok=True)
    app.config["SECRET_KEY"] = settle_secret_key(app.config, INSTANCE_DIR)

    from . import models  # noqa: F401  (every table registered before migrations look)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)

    if app.config.get("PASSWORD_HASH_FAST"):
        from .auth.services import use_fast_password_hashing

        use_fast_password_hashing()

    from .timebank.services import subscribe_to_identity

    subscribe_to_identity()

    from .api import init_api

    init_api(app)

    from .auth.views import bp as auth_bp
    from .dashboard.views import bp as dashboard_bp
    from .main import bp as main_bp
    from .matching.views import bp as matching_bp
    from .notifications.views import bp as notifications_bp
    from .peers.views import bp as peers_bp
    from .privacy.views import bp as privacy_bp
    from .reports.views import bp as reports_bp
    from .timebank.network_views import bp as network_bp
    from .timebank.views import bp as timebank_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(timebank_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(peers_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(privacy_bp)

    from .error_pages import register_error_handlers
    from .i18n import register_languages
    from .security import register_security, trust_proxies
    from .templating import register_templating

    register_error_handlers(app)
    register_security(app)
    trust_proxies(app)
    register_templating(app)
    register_languages(app)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the database is not usable
            db.session.rollback()
            return jsonify(status="unavailable", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    from .cli import register_cli

    register_cli(app)
    return app
