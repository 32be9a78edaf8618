"""The owner's profile as JSON: PATCH /api/users/me (spec 000), GET and PUT /api/profile (spec 003)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from burntop.accounts.auth import api_auth_required
from burntop.accounts.profile import ProfileError, own_user_json, update_profile
from burntop.errors import ApiError

api_bp = Blueprint("profile_api", __name__, url_prefix="/api")

# Each API's field names -> ours; fields not listed are ignored, as /api/sync ignores unknown fields.
USERS_ME_FIELDS = {"name": "name", "username": "username", "bio": "bio", "location": "location",
                   "websiteUrl": "website", "image": "image", "isPublic": "is_public", "timezone": "timezone",
                   "region": "region"}
PROFILE_FIELDS = {"name": "name", "username": "username", "image": "image", "bio": "bio", "website": "website"}


def profile_json(user) -> dict:
    """The owner's own profile, spec 003's shape (without its streaming fields)."""
    return {"id": str(user.id), "name": user.name, "email": user.email, "username": user.username,
            "image": user.image, "bio": user.bio, "website": user.website}


def _apply(fields: dict[str, str]) -> None:
    """Update g.api_user from the JSON body named by `fields`, answering errors in the spec's shape."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Send the changes as a JSON object.")
    data = {ours: body[theirs] for theirs, ours in fields.items() if theirs in body}
    try:
        update_profile(g.api_user, data)
    except ProfileError as exc:
        theirs = {ours: name for name, ours in fields.items()}
        details = [{"field": theirs.get(field, field), "reason": message} for field, message in exc.errors.items()]
        raise ApiError(exc.status, details[0]["reason"] if len(details) == 1 else "Invalid profile changes.",
                       details=details) from None


@api_bp.get("/profile")
@api_auth_required
def profile():
    return jsonify(profile_json(g.api_user))


@api_bp.put("/profile")
@api_auth_required
def put_profile():
    _apply(PROFILE_FIELDS)
    return jsonify(profile_json(g.api_user))


@api_bp.patch("/users/me")
@api_auth_required
def patch_me():
    _apply(USERS_ME_FIELDS)
    return jsonify({"success": True, "user": own_user_json(g.api_user)})
