"""Entry point for `gunicorn wsgi:app`: production unless BURNTOP_ENV says otherwise, so a deployment
without a real SECRET_KEY refuses to start instead of signing sessions with the public default."""
import os

os.environ.setdefault("BURNTOP_ENV", "production")
if os.environ.get("BURNTOP_LOCAL_MODE", "").strip().lower() in {"1", "true", "yes", "on"}:
    raise RuntimeError("BURNTOP_LOCAL_MODE is for `make run` on one machine (flask --app app serve), "
                       "never for gunicorn: unset it")

from burntop import create_app, freeze_after_start_up  # noqa: E402

app = create_app()
freeze_after_start_up()  # in each gunicorn worker as it imports this module (or once before forking with --preload)
