"""What a person controls about their account: profile changes, public API id, export and deletion."""
from __future__ import annotations

import logging
import uuid
import zoneinfo
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import orjson
from blinker import Namespace
from flask import current_app
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from burntop.accounts.users import RESERVED_USERNAMES, UsernameError, check_username, username_taken
from burntop.extensions import db
from burntop.models import EmailCode, User
from burntop.models.types import utcnow

log = logging.getLogger(__name__)

REGIONS = {"NA": "North America", "EU": "Europe", "APAC": "Asia-Pacific", "SA": "South America",
           "AF": "Africa", "OCE": "Oceania"}
EXPORT_BATCH = 2000

# Other features react to changes by connecting here: profile_changing is sent inside the change's
# transaction (record work that must not be lost: burntop.pending), profile_changed after its commit
# (clear what it made stale, start that work, evaluate achievements).
signals = Namespace()
profile_changing = signals.signal("profile-changing")
profile_changed = signals.signal("profile-changed")
account_deleted = signals.signal("account-deleted")


class ProfileError(Exception):
    """Invalid changes: `errors` maps each field to what is wrong; status 400, or 409 for a taken username."""

    def __init__(self, errors: dict[str, str], status: int = 400):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
        self.status = status


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _fail(message: str):
    raise PydanticCustomError("invalid", message)


def _single_line(value: str, field: str, low: int, high: int) -> str:
    if not low <= len(value) <= high:
        _fail(f"{field} must be {low}–{high} characters." if low else f"{field} must be at most {high} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        _fail(f"{field} must be one line of text.")
    return value


def _web_url(value: str, field: str, schemes: tuple[str, ...], high: int) -> str:
    if len(value) > high:
        _fail(f"{field} must be at most {high} characters.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    if not host or parts.scheme not in schemes or any(ch.isspace() or ord(ch) < 32 for ch in value):
        _fail(f"{field} must be a full web address starting with {' or '.join(f'{s}://' for s in schemes)}.")
    return value


def avatar_refusal(url: str, hosts: tuple[str, ...]) -> str | None:
    """Why url cannot be an avatar address, or None when burntop may fetch it (burntop.accounts.avatars)."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, (parts.hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        scheme, host = "", ""
    if scheme != "https" or not host or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "Avatar URL must be a full web address starting with https://."
    if host not in hosts:
        return (f"Avatar URL must be an image on {', '.join(hosts)}: burntop fetches it from there and "
                "shows its own copy, so nobody's browser loads pictures from other sites.")
    return None


class ProfileChanges(BaseModel):
    """The fields a person may change; absent fields stay as they are, None clears an optional one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: StrictStr | None = None
    username: StrictStr | None = None
    bio: StrictStr | None = None
    location: StrictStr | None = None
    website: StrictStr | None = None
    image: StrictStr | None = None
    is_public: StrictBool | None = None
    timezone: StrictStr | None = None
    region: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        return None if v is None else _single_line(v, "Name", 1, 50)

    @field_validator("username")
    @classmethod
    def _username(cls, v):
        if not v:
            _fail("Username is required.")
        try:
            return check_username(v)
        except UsernameError:
            _fail(f"'{v}' is reserved; choose another username." if v in RESERVED_USERNAMES
                  else "Usernames are 3–39 characters: lowercase letters, digits, '-' and '_'.")

    @field_validator("bio")
    @classmethod
    def _bio(cls, v):
        if v and len(v) > 500:
            _fail("Bio must be at most 500 characters.")
        return v or None

    @field_validator("location")
    @classmethod
    def _location(cls, v):
        return _single_line(v, "Location", 0, 100) if v else None

    @field_validator("website")
    @classmethod
    def _website(cls, v):
        return _web_url(v, "Website", ("http", "https"), 200) if v else None

    @field_validator("image")
    @classmethod
    def _image(cls, v, info: ValidationInfo):
        if not v:
            return None
        if len(v) > 500:
            _fail("Avatar URL must be at most 500 characters.")
        if (reason := avatar_refusal(v, info.context["avatar_hosts"])) is not None:
            _fail(reason)
        return v

    @field_validator("is_public")
    @classmethod
    def _is_public(cls, v):
        if v is None:
            _fail("Choose public or private.")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v):
        if v not in time_zones():
            _fail("Choose a time zone from the list (an IANA name such as Europe/Berlin).")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v):
        if not v:
            return None
        if v.upper() not in REGIONS:
            _fail(f"Region must be one of {', '.join(REGIONS)}.")
        return v.upper()


def validate_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check changes given under our field names; return them cleaned or raise ProfileError (400)."""
    try:
        changes = ProfileChanges.model_validate(dict(data), context={"avatar_hosts": current_app.config["AVATAR_HOSTS"]})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "body"
            message = error["msg"] if error["type"] == "invalid" else _type_message(error["type"])
            errors.setdefault(field, message)
        raise ProfileError(errors) from None
    return changes.model_dump(exclude_unset=True)


def _type_message(kind: str) -> str:
    return {"extra_forbidden": "This field cannot be changed.", "bool_type": "Must be true or false.",
            "string_type": "Must be a string."}.get(kind, "Invalid value.")


def update_profile(user: User, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and apply changes to user, commit, and return what changed."""
    changes = validate_changes(data)
    username = changes.get("username")
    if username is not None and username != user.username and username_taken(username):
        raise ProfileError({"username": f"'{username}' is taken; choose another username."}, status=409)
    changed = {field: value for field, value in changes.items() if getattr(user, field) != value}
    for field, value in changed.items():
        setattr(user, field, value)
    try:
        if changed:
            db.session.flush()  # the user's row lock first, as ingest and the recount take it
            profile_changing.send(user, user_id=user.id, fields=set(changed))
        db.session.commit()
    except IntegrityError:  # another request took the username between our check and the commit
        db.session.rollback()
        raise ProfileError({"username": f"'{username}' is taken; choose another username."}, status=409) from None
    if changed:
        profile_changed.send(user, user_id=user.id, fields=set(changed))
    return changed


def public_api_url(base_url: str, user: User) -> str | None:
    return f"{base_url}/api/v1/public/{user.public_api_id}" if user.public_api_id else None


def set_public_api(user: User, enabled: bool) -> None:
    """Turn the public usage API (spec 002) on or off; the first time on, give it an unguessable id."""
    if enabled and not user.public_api_id:
        user.public_api_id = str(uuid.uuid4())
    user.public_api_enabled = enabled
    db.session.commit()
    profile_changed.send(user, user_id=user.id, fields={"public_api_enabled"})


def rotate_public_api_id(user: User) -> str:
    """Give the public API a new id; the old URL answers 404 from now on."""
    user.public_api_id = str(uuid.uuid4())
    db.session.commit()
    profile_changed.send(user, user_id=user.id, fields={"public_api_id"})
    return user.public_api_id


def own_user_json(user: User) -> dict:
    """The signed-in user as PATCH /api/users/me answers it: spec 000's profile plus owner-only settings."""
    xp = user.xp_centi / 100
    return {
        "id": str(user.id), "username": user.username, "name": user.name, "image": user.image, "bio": user.bio,
        "location": user.location, "websiteUrl": user.website, "level": user.level,
        "xp": int(xp) if xp.is_integer() else xp, "isPublic": user.is_public,
        "createdAt": user.created_at.isoformat().replace("+00:00", "Z"),
        "timezone": user.timezone, "region": user.region,
    }


# ---- everything stored about a user: the tables that point at users.id


def user_tables() -> list[tuple[Table, list]]:
    """Every table with a foreign key to users.id, with those columns (new tables are found on their own)."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [fk.parent for fk in table.foreign_keys if fk.column.table.name == User.__tablename__]
        if columns and table.name != User.__tablename__:
            found.append((table, columns))
    return found


def _owned_by(columns: list, user_id: int):
    return or_(*(column == user_id for column in columns))


def rows_of(user_id: int, email: str | None = None) -> dict[str, int]:
    """How many rows each table holds for this user (the users row itself included)."""
    counts = {"users": db.session.scalar(select(func.count()).select_from(User).where(User.id == user_id))}
    for table, columns in user_tables():
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table).where(_owned_by(columns, user_id)))
    if email:
        counts[EmailCode.__tablename__] = db.session.scalar(
            select(func.count()).select_from(EmailCode).where(EmailCode.email == email))
    return counts


def _is_secret(column_name: str) -> bool:
    # Hashes of keys, codes and visitors, and device codes in flight, never leave the server.
    return column_name.endswith("_hash") or column_name == "user_code"


def _public_columns(table: Table) -> list:
    return [column for column in table.columns if not _is_secret(column.name)]


def export_chunks(user: User) -> Iterator[bytes]:
    """The JSON export of everything stored about user, produced piece by piece for a streamed download."""
    user_id, email = user.id, user.email
    profile = {column.name: getattr(user, column.key) for column in _public_columns(User.__table__)}
    yield b'{"format":"burntop-export/1","exportedAt":' + orjson.dumps(utcnow()) + b',"profile":' + orjson.dumps(profile)
    others: set[int] = set()
    for table, columns in user_tables():
        yield b',"' + table.name.encode() + b'":['
        query = select(*_public_columns(table)).where(_owned_by(columns, user_id)).order_by(*table.primary_key.columns)
        for index, row in enumerate(db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))):
            values = dict(row._mapping)
            others.update(values[c.name] for c in columns if values.get(c.name) not in (None, user_id))
            yield (b"," if index else b"") + orjson.dumps(values, default=str)  # str: Decimal and other exotica
        yield b"]"
    codes = [] if not email else db.session.execute(
        select(*_public_columns(EmailCode.__table__)).where(EmailCode.email == email)).mappings().all()
    yield b',"email_codes":' + orjson.dumps([dict(code) for code in codes])
    # Follows and referrals name other people by id; their usernames (always public) make the ids readable.
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(others))).all()) if others else {}
    yield b',"related_users":' + orjson.dumps({str(k): v for k, v in sorted(names.items())}) + b"}"


def delete_account(user_id: int) -> None:
    """Remove the user and every row that belongs to them (foreign keys cascade), then check none is left."""
    email = db.session.scalar(select(User.email).where(User.id == user_id))
    db.session.execute(delete(User).where(User.id == user_id))
    if email:
        db.session.execute(delete(EmailCode).where(EmailCode.email == email))
    left = {table: count for table, count in rows_of(user_id, email).items() if count}
    if left:
        db.session.rollback()
        raise RuntimeError(f"deleting user {user_id} left rows behind: {left}")
    db.session.commit()
    log.info("user %s deleted their account", user_id)
    account_deleted.send(None, user_id=user_id)
