"""Entry point for `gunicorn wsgi:app`."""
from burntop import create_app

app = create_app()
