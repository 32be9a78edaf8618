"""Entry point for `gunicorn wsgi:app`: production unless BURNTOP_ENV says otherwise, so a deployment
without a real SECRET_KEY refuses to start instead of signing sessions with the public default."""
import os

os.environ.setdefault("BURNTOP_ENV", "production")

from burntop import create_app  # noqa: E402

app = create_app()
