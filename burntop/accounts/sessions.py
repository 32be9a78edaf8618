"""Browser sessions through Flask-Login."""
from __future__ import annotations

from flask import redirect, request, url_for

from burntop.errors import ApiError
from burntop.extensions import db, login_manager
from burntop.models import User

login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        raise ApiError(401, "Sign in first.")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
