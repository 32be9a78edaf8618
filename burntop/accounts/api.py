"""JSON account endpoints (token-authenticated); the full set arrives with the accounts work."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from burntop.accounts.tokens import token_required

bp = Blueprint("accounts_api", __name__, url_prefix="/api")


def profile_json(user) -> dict:
    """The owner's own profile, spec 003's shape (without its streaming fields)."""
    return {"id": str(user.id), "name": user.name, "email": user.email, "username": user.username,
            "image": user.image, "bio": user.bio, "website": user.website}


@bp.get("/profile")
@token_required
def profile():
    return jsonify(profile_json(g.api_user))
