"""burntop: gamified AI-coding usage tracking."""
from __future__ import annotations

__version__ = "0.1.0"

import logging
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI client imports burntop.pricing and should not pay for Flask
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Create the web app: settings from the environment, overridden by `config` (tests)."""
    from flask import Flask

    from burntop import config as settings

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings.from_environment(app.instance_path))
    app.config.update(config or {})
    settings.check_production(app.config)
    from burntop import local_mode
    local_mode.check_config(app.config)
    if local_mode.enabled(app):
        local_mode.check_flask_run()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    from burntop import edge
    edge.init_app(app)
    from burntop.format import JINJA_FILTERS
    app.jinja_env.filters.update(JINJA_FILTERS)
    _register_blueprints(app)
    from burntop import commands, errors, security
    security.init_app(app)
    errors.register(app)
    commands.register(app)
    local_mode.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from burntop import database, pending, redis_client
    from burntop.accounts import sessions  # noqa: F401  (registers the user loader)
    from burntop.extensions import csrf, db, htmx, limiter, login_manager, migrate, sock

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in this process's memory until it is back, rather than answer 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config["REDIS_URL"]:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 2, "socket_connect_timeout": 1})
    # A CSRF token lives as long as the session, so an htmx page left open keeps working.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    sock.init_app(app)
    htmx.init_app(app)
    redis_client.init_app(app)
    pending.init_app(app)
    from burntop.stats import benchmarks
    benchmarks.init_app(app)


def freeze_after_start_up() -> None:
    """Load what a server process keeps for its whole life, then take it out of the garbage collector's
    sight (gc.freeze): full collections no longer walk the modules, the app and the price table, which
    made each one of them cost about 100 ms in a 10,000-record sync. For long-lived processes only (the
    gunicorn workers, the RQ worker), never per app: tests create hundreds of apps."""
    import gc

    from burntop.pricing import default_table

    default_table()
    gc.collect()
    gc.freeze()


BLUEPRINT_MODULES = (
    "burntop.home.api", "burntop.home.views", "burntop.sync.api",
    "burntop.accounts.views", "burntop.accounts.auth_api", "burntop.accounts.github",
    "burntop.accounts.device", "burntop.accounts.avatars", "burntop.accounts.keys_api", "burntop.accounts.profile_api",
    "burntop.settings.views", "burntop.gamification.api", "burntop.gamification.views", "burntop.referrals.api",
    "burntop.local_mode",
    "burntop.stats.insights_api", "burntop.stats.public_api", "burntop.stats.machines_api", "burntop.stats.api",
    "burntop.integrity.views", "burntop.leaderboard.api", "burntop.leaderboard.views", "burntop.badges.api",
    "burntop.stats.views",  # last: its /<username> catch-all must not shadow any route above
)


def _register_blueprints(app: Flask) -> None:
    """Register every module's `bp` (and `api_bp`); JSON blueprints under /api are CSRF-exempt
    because they authenticate by token or follow the preflight rule of burntop.accounts.auth."""
    import importlib

    from burntop.extensions import csrf

    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)  # a misspelt or broken module stops start-up
        for attribute in ("bp", "api_bp"):
            blueprint = getattr(module, attribute, None)
            if blueprint is None:
                continue
            app.register_blueprint(blueprint)
            if (blueprint.url_prefix or "").startswith("/api"):
                csrf.exempt(blueprint)
