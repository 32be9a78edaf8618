"""Browser sessions through Flask-Login (sign-in itself arrives with the accounts work)."""
from __future__ import annotations

from burntop.extensions import db, login_manager
from burntop.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))
