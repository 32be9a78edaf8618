"""Entry point for `flask --app app ...`."""
from burntop import create_app

app = create_app()
