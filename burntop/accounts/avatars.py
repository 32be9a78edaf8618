"""Profile pictures served by burntop itself, so no page sends a visitor's browser to a host a user named.

A user's `image` is a URL on an allowed host (GitHub avatars, Gravatar: `AVATAR_HOSTS`). After it is
set, a job fetches it once (https only, redirects only to allowed hosts, size, type and time limits),
Pillow re-encodes it to a SIZE x SIZE PNG, and the PNG is stored in the database under its SHA-256, which
every web node can read. Pages show /avatars/<sha256>.png (immutable, cached a year, ETag) or initials.
The fetch is pending work recorded with the change (burntop.pending), so Redis being down only delays it.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from urllib.parse import urljoin, urlsplit

import requests
from flask import Blueprint, Response, abort, current_app, request
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select, update

from burntop import pending
from burntop.accounts.profile import account_deleted, avatar_refusal, profile_changed, profile_changing
from burntop.database import insert
from burntop.extensions import db
from burntop.models import Avatar, User
from burntop.models.types import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("avatars", __name__)

SIZE = 160  # pixels; pages show avatars at 24-80 CSS px, so this stays sharp at 2x
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 4096 * 4096  # refuse decompression bombs before decoding them
TIMEOUT = (5, 10)  # connect, between bytes
DEADLINE = 20  # seconds for the whole download
MAX_REDIRECTS = 3
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
KIND = "avatar"
YEAR = 365 * 24 * 3600


class AvatarRefused(Exception):
    """The address or what it answered cannot be an avatar (the reason is the message)."""


def allowed_hosts() -> tuple[str, ...]:
    return tuple(current_app.config["AVATAR_HOSTS"])


def download(url: str, hosts: tuple[str, ...]) -> bytes:
    """The bytes at url, following at most MAX_REDIRECTS redirects to allowed hosts; raise AvatarRefused."""
    deadline = time.monotonic() + DEADLINE
    for _ in range(MAX_REDIRECTS + 1):
        if (reason := avatar_refusal(url, hosts)) is not None:
            raise AvatarRefused(reason)
        with requests.get(url, stream=True, allow_redirects=False, timeout=TIMEOUT,
                          headers={"Accept": ", ".join(FORMATS.values())}) as answer:
            if answer.is_redirect:
                url = urljoin(url, answer.headers.get("Location", ""))
                continue
            if answer.status_code != 200:
                raise AvatarRefused(f"the host answered {answer.status_code}")
            kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in FORMATS.values():
                raise AvatarRefused(f"not an image ({kind or 'no content type'})")
            if int(answer.headers.get("Content-Length") or 0) > MAX_BYTES:
                raise AvatarRefused("the image is larger than 5 MB")
            body = bytearray()
            for chunk in answer.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise AvatarRefused("the image is larger than 5 MB")
                if time.monotonic() > deadline:
                    raise AvatarRefused(f"the download took longer than {DEADLINE} s")
            return bytes(body)
    raise AvatarRefused("too many redirects")


def reencode(data: bytes) -> bytes:
    """A SIZE x SIZE PNG of the image's centre: nothing of the original file but its pixels survives."""
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AvatarRefused(f"the image is larger than {MAX_PIXELS:,} pixels")
            image.seek(0)  # the first frame of an animation
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise AvatarRefused(f"not a readable image ({exc.__class__.__name__})") from None
    square = ImageOps.fit(picture, (SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


@pending.handler(KIND, key=int)
def fetch_avatar(user_id: int) -> str | None:
    """Job: fetch and store the avatar of the user's current `image`; return its digest (None: initials).

    Idempotent, and safe to run late: it reads the address now and only links the picture (and clears
    the pending work) if the address is still the user's when it commits; otherwise the work stays
    recorded for the newer address."""
    url = db.session.scalar(select(User.image).where(User.id == user_id))
    png = None
    if url is not None:
        try:
            png = reencode(download(url, allowed_hosts()))
        except (AvatarRefused, requests.RequestException) as exc:
            log.warning("avatar of user %s not fetched from %s: %s", user_id, url, exc)
    digest = hashlib.sha256(png).hexdigest() if png else None
    if png:
        db.session.execute(insert(Avatar.__table__).values(digest=digest, png=png, created_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["digest"]))
    still_current = User.image.is_(None) if url is None else User.image == url
    linked = db.session.execute(update(User).where(User.id == user_id, still_current)
                                .values(avatar_digest=digest)).rowcount
    if linked or db.session.get(User, user_id) is None:  # the row lock of the update orders it with changes
        pending.done(KIND, user_id)
    db.session.commit()
    return digest


def fetch_avatar_soon(user_id: int) -> None:
    """After a commit that gave the user an image outside update_profile (a GitHub sign-up)."""
    pending.record(KIND, user_id)
    db.session.commit()
    pending.dispatch(KIND, user_id)


@profile_changing.connect
def _record_fetch(sender, user_id: int, fields: set[str], **_details) -> None:
    if "image" in fields:
        pending.record(KIND, user_id)


@profile_changed.connect
def _image_changed(sender, user_id: int, fields: set[str], **_details) -> None:
    if "image" in fields:
        pending.dispatch(KIND, user_id)


@account_deleted.connect
def _account_deleted(sender, **_details) -> None:
    purge_avatars()


def purge_avatars() -> int:
    """Delete stored pictures no user shows any more; return how many."""
    shown = select(User.avatar_digest).where(User.avatar_digest.is_not(None))
    count = db.session.execute(delete(Avatar).where(Avatar.digest.not_in(shown))).rowcount
    db.session.commit()
    return count


@bp.get("/avatars/<digest>.png")
def image(digest: str):
    if not DIGEST_RE.match(digest):
        abort(404)
    png = db.session.scalar(select(Avatar.png).where(Avatar.digest == digest))
    if png is None:
        abort(404)
    response = Response(png, mimetype="image/png")
    response.set_etag(digest)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)
