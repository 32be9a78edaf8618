"""Per-machine breakdown: how a user's computers add up to their total for a period.

What a machine id is: the burntop client makes one random id per install (uuid4 hex, 32 characters,
saved in its config file; burntop.client.config) and sends it with every record. It holds no hostname,
user name, MAC address or path, and it is only ever shown to its owner. Other clients may send any
string of up to 200 characters, so the server never shows an id itself: a machine's default label
carries a four-character fingerprint, the last four characters of an id in the client's form (random,
and the user can find them in their config file), else the start of the id's SHA-256 (so no fragment of
a hostname another client might send appears on a page or in the API). Records sent without a machine
id count under one "unknown computer" (machine id "").

Default labels number the known computers in the order burntop first met them ("Computer 1 (…3f9a)"),
so a label never changes when another computer syncs older records. A name the user gives wins.

The figures come from machine_days, which ingest and the time-zone recount keep in the same
transactions as daily_rollups; `addsUp` checks the machines against daily_rollups for the period.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import func, select

from burntop.database import safe_sum
from burntop.extensions import db
from burntop.models import DailyRollup, Machine, MachineDay
from burntop.models.usage import UNKNOWN_MACHINE
from burntop.stats.periods import Period

CLIENT_ID = re.compile(r"[0-9a-f]{32}")  # what burntop.client.config makes: uuid4().hex
UNKNOWN_LABEL = "Unknown computer"
TOKEN_KINDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens")
_CAMEL = {"input_tokens": "inputTokens", "output_tokens": "outputTokens",
          "cache_creation_tokens": "cacheCreationTokens", "cache_read_tokens": "cacheReadTokens",
          "reasoning_tokens": "reasoningTokens"}


def fingerprint(machine_id: str) -> str:
    """Four characters that tell a user's computers apart and reveal nothing of the id."""
    if CLIENT_ID.fullmatch(machine_id):
        return machine_id[-4:]
    return hashlib.sha256(machine_id.encode()).hexdigest()[:4]


def default_label(machine_id: str, number: int | None) -> str:
    """"Computer 2 (…3f9a)", or "Unknown computer" for records sent without a machine id."""
    if machine_id == UNKNOWN_MACHINE:
        return UNKNOWN_LABEL
    return f"Computer {number} (…{fingerprint(machine_id)})"


def numbered(machines: list[Machine]) -> dict[int, int]:
    """Machine row id -> its number among the known computers, in the order burntop first met them."""
    known = sorted((m.id for m in machines if m.machine_id != UNKNOWN_MACHINE))
    return {row_id: position for position, row_id in enumerate(known, start=1)}


def user_machines(user_id: int) -> list[Machine]:
    return list(db.session.scalars(select(Machine).where(Machine.user_id == user_id).order_by(Machine.id)))


def labelled(machines: list[Machine]) -> list[dict]:
    """Each machine with its row id, default label, label (the user's name, else the default) and times."""
    numbers = numbered(machines)
    out = []
    for m in machines:
        default = default_label(m.machine_id, numbers.get(m.id))
        known = m.machine_id != UNKNOWN_MACHINE
        out.append({"id": str(m.id), "name": m.name, "defaultLabel": default, "label": m.name or default,
                    "known": known, "fingerprint": fingerprint(m.machine_id) if known else None,
                    "firstSeen": m.first_seen, "lastSeen": m.last_seen})
    return out


def _in_period(column, period: Period) -> list:
    conditions = [column <= period.end]
    if period.start is not None:
        conditions.append(column >= period.start)
    return conditions


def _sums(model, user_id: int, period: Period, *group_by) -> list:
    """records, cost_nanos and each token kind of `model`'s rows in the period, per `group_by` (none: one row)."""
    columns = ["records", "cost_nanos", *TOKEN_KINDS]
    rows = db.session.execute(
        select(*group_by, *(func.coalesce(safe_sum(model.__table__.c[c]), 0) for c in columns))
        .where(model.user_id == user_id, *_in_period(model.day, period)).group_by(*group_by)).all()
    return [(tuple(row[:len(group_by)]), dict(zip(columns, (int(v) for v in row[len(group_by):])))) for row in rows]


def _machine_sums(user_id: int, period: Period) -> dict[str, dict]:
    return {key[0]: sums for key, sums in _sums(MachineDay, user_id, period, MachineDay.machine_id)}


def _rollup_total(user_id: int, period: Period) -> dict:
    return _sums(DailyRollup, user_id, period)[0][1]


def _tokens(sums: dict) -> int:
    """Total tokens as everywhere in burntop: reasoning is a part of output, so it is not added again."""
    return sums["input_tokens"] + sums["output_tokens"] + sums["cache_creation_tokens"] + sums["cache_read_tokens"]


def _figures(sums: dict) -> dict:
    return {"tokens": _tokens(sums), **{_CAMEL[k]: sums[k] for k in TOKEN_KINDS},
            "cost": round(sums["cost_nanos"] / 1e9, 6), "records": sums["records"]}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def machine_breakdown(user, period: Period) -> dict:
    """Per machine of `user`: label, tokens (total and by kind), API-equivalent cost, records, share of the
    period's tokens, first and last record; the period's total from daily_rollups and whether the
    machines add up to it. Machines idle in the period are listed with zeros; the biggest comes first."""
    sums = _machine_sums(user.id, period)
    total = _rollup_total(user.id, period)
    zero = {"records": 0, "cost_nanos": 0, **dict.fromkeys(TOKEN_KINDS, 0)}
    machines = user_machines(user.id)
    by_row = {str(m.id): m.machine_id for m in machines}
    total_tokens = _tokens(total)
    entries = []
    for item in labelled(machines):
        figures = _figures(sums.get(by_row[item["id"]], zero))
        share = figures["tokens"] / total_tokens if total_tokens else 0.0
        entries.append({**item, **figures, "share": share, "percentage": round(share * 100, 1),
                        "firstSeen": _iso(item["firstSeen"]), "lastSeen": _iso(item["lastSeen"])})
    entries.sort(key=lambda e: (-e["tokens"], -e["records"], not e["known"], int(e["id"])))
    listed = [sums.get(machine_id, zero) for machine_id in by_row.values()]
    added = {key: sum(s[key] for s in listed) for key in zero}
    return {
        "period": {"name": period.name, "label": period.label, "timeZone": period.time_zone,
                   "from": period.start.isoformat() if period.start else None, "to": period.end.isoformat()},
        "machines": entries,
        "total": _figures(total),
        "addsUp": added == total,
        "costNote": "API-equivalent estimate: what the same tokens would cost at API prices",
    }
