"""Naming a user's computers (Settings → Computers): the rule for a name, and the one write.

A name is trimmed, its runs of spaces become one space, and it is NFC-normalised; it may hold at most
MAX_NAME characters and no control characters. An empty name forgets the name: the default label
("Computer 2 (…3f9a)", burntop.stats.machines) shows again. Names are shown only to their owner and,
like everything a user types, escaped wherever they appear.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import update

from burntop.extensions import db
from burntop.models import Machine

MAX_NAME = Machine.__table__.c.name.type.length  # 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class NameRefused(ValueError):
    """The name breaks a rule; the message says which, in words for the form."""


def clean_name(raw: str | None) -> str | None:
    """The name to store, or None for "no name" (the default label); NameRefused when it breaks a rule."""
    text = unicodedata.normalize("NFC", raw or "")
    if _CONTROL.search(text.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise NameRefused("Use letters, digits, spaces and punctuation only.")
    text = " ".join(text.split())
    if len(text) > MAX_NAME:
        raise NameRefused(f"Keep it to {MAX_NAME} characters or fewer ({len(text)} now).")
    return text or None


def rename(user_id: int, machine_row_id: int, name: str | None) -> bool:
    """Give one of the user's computers a name (None: forget it); False when it is not theirs or not there."""
    try:
        changed = db.session.execute(
            update(Machine).where(Machine.id == machine_row_id, Machine.user_id == user_id).values(name=name)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return changed == 1
