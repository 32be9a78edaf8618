"""Demo data: a handful of realistic users with months of usage, stored through the real ingest path."""
from __future__ import annotations

import json
import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlalchemy import delete, func, select

from burntop.accounts.users import create_user
from burntop.extensions import db
from burntop.format import plural
from burntop.gamification.evaluate import evaluate_pending
from burntop.models import User
from burntop.stats.totals import refresh_landing
from burntop.sync.ingest import ingest
from burntop.sync import schema

demo_cli = AppGroup("demo", help="Seed or clear the demo users.")

# (username, name, time zone, region, public, days of history, activity, {source: {model: weight}})
PEOPLE = (
    ("maya-chen", "Maya Chen", "America/Los_Angeles", "NA", True, 160, 0.9,
     {"claude-code": {"claude-sonnet-4-20250514": 6, "claude-opus-4-1-20250805": 2, "claude-3-5-haiku-20241022": 1}}),
    ("lukas-weber", "Lukas Weber", "Europe/Berlin", "EU", True, 120, 0.75,
     {"codex": {"gpt-5": 5, "o3": 1}, "claude-code": {"claude-sonnet-4-20250514": 3}}),
    ("aiko-tanaka", "Aiko Tanaka", "Asia/Tokyo", "APAC", True, 140, 0.8,
     {"gemini-cli": {"gemini-2.5-pro": 4, "gemini-2.5-flash": 3}, "opencode": {"claude-sonnet-4-20250514": 2}}),
    ("sam-okafor", "Sam Okafor", "Africa/Lagos", "AF", True, 90, 0.6,
     {"claude-code": {"claude-sonnet-4-20250514": 4}, "cline": {"gpt-4o": 2, "claude-3-5-sonnet-20241022": 2}}),
    ("tane-walker", "Tane Walker", "Pacific/Auckland", "OCE", True, 75, 0.85,
     {"codex": {"gpt-5": 3, "gpt-5-mini": 2}, "gemini-cli": {"gemini-2.5-pro": 1}}),
    ("nina-rossi", "Nina Rossi", "Europe/Rome", "EU", False, 100, 0.7,
     {"claude-code": {"claude-opus-4-20250514": 2, "claude-sonnet-4-20250514": 3}}),
)


def _tokens(rng: random.Random, source: str, model: str) -> dict:
    """Token shapes like each tool logs them: agentic tools re-read large cached contexts."""
    if source in ("claude-code", "opencode", "cline"):
        cache_read = int(rng.lognormvariate(10.3, 0.7))
        cache_write = int(rng.lognormvariate(7.5, 1.0)) if rng.random() < 0.6 else 0
        one_hour = cache_write if rng.random() < 0.1 else 0
        return {"inputTokens": rng.randint(3, 60), "outputTokens": int(rng.lognormvariate(6.2, 0.9)),
                "cacheCreationTokens": cache_write, "cacheReadTokens": cache_read, "cacheCreation1hTokens": one_hour}
    prompt = int(rng.lognormvariate(9.6, 0.8))
    cached = int(prompt * rng.uniform(0.4, 0.9))
    output = int(rng.lognormvariate(6.5, 0.9))
    reasoning = int(output * rng.uniform(0.2, 0.7)) if model.startswith(("gpt-5", "o3")) else 0
    return {"inputTokens": prompt - cached, "outputTokens": output, "cacheCreationTokens": 0,
            "cacheReadTokens": cached, "reasoningTokens": reasoning}


def _day_batch(rng, username, tz, day, sources, activity):
    records, sessions = [], []
    weekend = day.weekday() >= 5
    if rng.random() > (activity * (0.45 if weekend else 1.0)):
        return records, sessions
    for s_index in range(rng.randint(1, 3)):
        source = rng.choice(list(sources))
        models = sources[source]
        start = datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)), ZoneInfo(tz))
        minutes = rng.randint(15, 150)
        session_id = f"demo-{username}-{day.isoformat()}-{s_index}"
        for i in range(rng.randint(10, 90)):
            model = rng.choices(list(models), weights=list(models.values()))[0]
            at = start + timedelta(minutes=minutes * i / 90, seconds=rng.randint(0, 59))
            records.append({"timestamp": at.astimezone(timezone.utc).isoformat(), "model": model, "source": source,
                            "requestId": f"{session_id}-{i}", "sessionId": session_id,
                            "latencyMs": int(rng.lognormvariate(8.2, 0.5)), "success": rng.random() > 0.03,
                            **_tokens(rng, source, model)})
        sessions.append({"sessionId": session_id, "source": source, "startedAt": start.isoformat(),
                         "endedAt": (start + timedelta(minutes=minutes)).isoformat(),
                         "activeSeconds": int(minutes * 60 * rng.uniform(0.4, 0.9)),
                         "commits": rng.randint(0, 6), "linesOfCode": rng.randint(0, 900)})
    return records, sessions


def seed(now: datetime | None = None) -> int:
    """Create the demo users (skipping any that exist) and their usage; return records added."""
    now = now or datetime.now(timezone.utc)
    added = 0
    for username, name, tz, region, public, days, activity, sources in PEOPLE:
        if db.session.scalar(select(func.count()).where(User.username == username)):
            continue
        rng = random.Random(username)
        user = create_user(username, name=name, timezone=tz, region=region, is_public=public, is_demo=True,
                           image=None, bio=f"Demo account: {name} codes with {', '.join(sources)}.")
        db.session.commit()
        today = now.astimezone(ZoneInfo(tz)).date()
        records, sessions = [], []
        for back in range(days, -1, -1):
            r, s = _day_batch(rng, username, tz, today - timedelta(days=back), sources, activity)
            records += [x for x in r if datetime.fromisoformat(x["timestamp"]) <= now]
            sessions += [x for x in s if datetime.fromisoformat(x["startedAt"]) <= now]
        for start in range(0, len(records), 5000):
            body = {"records": records[start:start + 5000], "sessions": sessions if start == 0 else []}
            parsed, problems = schema.parse(json.dumps(body).encode())
            if parsed is None:
                raise RuntimeError(f"demo data failed validation: {problems[:3]}")
            added += ingest(user.id, parsed.records, parsed.sessions).added
    for user_id in db.session.scalars(select(User.id).where(User.is_demo.is_(True)).order_by(User.id)).all():
        evaluate_pending(user_id, now)  # clears what ingest recorded
    refresh_landing()
    return added


def clear() -> int:
    """Delete every demo user; the database cascades to all their rows."""
    count = db.session.execute(delete(User).where(User.is_demo.is_(True))).rowcount
    db.session.commit()
    refresh_landing()
    return count


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no users at all.")
def seed_command(if_empty: bool) -> None:
    """Create demo users with months of usage."""
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database has users: demo seed skipped")
        return
    click.echo(f"demo data seeded: {seed():,} usage records")


@demo_cli.command("clear")
def clear_command() -> None:
    """Remove the demo users and everything that belongs to them."""
    click.echo(f"removed {plural(clear(), 'demo user')}")
