"""What the profile, dashboard and compare pages show: the figures of burntop.stats (the same bodies the
JSON API answers, memoized per user by burntop.stats.figures) turned into template contexts and charts.
No queries of its own."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import url_for
from markupsafe import Markup

from burntop import format as fmt
from burntop.gamification import rules, showcase
from burntop.links import base_url, external
from burntop.models import User
from burntop.stats import charts, figures
from burntop.stats.periods import Period, day_range, local_today

HEATMAP_DAYS = 365
PERCENTILE_LABELS = (("tokens", "Tokens"), ("cacheEfficiency", "Cache efficiency"), ("streak", "Streak"),
                     ("diversity", "Models and tools used"))


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def local_date(moment: datetime | str | None, time_zone: str) -> str:
    """'12 Mar 2025' for a moment (datetime or ISO string) in a time zone."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local.day} {local:%b %Y}"


def period_text(period: Period) -> str:
    """'This week: Mon 23 Nov – Thu 26 Nov 2026' ('All time: up to ...')."""
    end = f"{period.end:%a} {period.end.day} {period.end:%b %Y}"
    if period.start is None:
        return f"{period.label}, up to {end}"
    return f"{period.label}: {period.start:%a} {period.start.day} {period.start:%b} – {end}"


def shares(items: list[dict], key: str, limit: int = 5) -> list[dict]:
    """[{model|source, tokens, percentage}] -> [{name, tokens, percentage}] for sm.share_list."""
    return [{"name": item[key], "tokens": item["tokens"], "percentage": item.get("percentage") or 0}
            for item in items[:limit]]


def _heatmap(user: User, public: bool = False) -> tuple:
    today = local_today(user.timezone)
    per_day = dict(figures.daily_tokens(user, today - timedelta(days=HEATMAP_DAYS - 1), today, public))
    chart = charts.heatmap(per_day, today, title=f"Tokens per day, last {HEATMAP_DAYS} days ({user.timezone})",
                           time_zone=user.timezone, days=HEATMAP_DAYS)
    return chart, per_day


def website(value: str | None) -> tuple[str | None, str]:
    """A profile's website as a link only when it is an http(s) address; its label without the scheme."""
    if not value:
        return None, ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None, ""
    return value, (parts.netloc + parts.path).rstrip("/")


def open_graph(person: User, full: bool, totals: dict | None) -> dict:
    name = person.name or person.username
    if full and totals is not None:
        description = (f"{name} on burntop: {fmt.tokens(totals['tokens'])} with AI coding tools, "
                       f"{fmt.plural(totals['longest_streak'], 'day')} longest streak, level {totals['level']}.")
    else:
        description = f"{name} on burntop."
    image = external(url_for("avatars.image", digest=person.avatar_digest)) if person.avatar_digest else None
    return {"title": f"{name} (@{person.username}) on burntop", "description": description,
            "url": external(url_for("stats.profile", username=person.username)), "image": image}


def profile_context(person: User, full: bool, owner: bool) -> dict:
    website_url, website_label = website(person.website)
    context = {"person": person, "full": full, "owner": owner, "tz": person.timezone, "server": base_url(),
               "member_since": local_date(person.created_at, person.timezone), "website": website_url,
               "website_label": website_label}
    if not full:
        return {**context, "og": open_graph(person, False, None)}
    public = not owner  # anyone but the owner sees no day under review (burntop.integrity)
    stats = figures.user_stats(person, public)
    level = rules.level_info(person.xp_centi)
    heatmap, _ = _heatmap(person, public)
    totals = {
        "tokens": stats["totalTokens"], "cost": stats["totalCost"], "cache_efficiency": stats["cacheEfficiency"],
        "active_days": figures.summary(person, "all", public)["active_days"], "current_streak": stats["currentStreak"],
        "longest_streak": stats["longestStreak"], "achievements_unlocked": stats["achievementsUnlocked"],
        "achievements_total": stats["achievementsTotal"], "level": level["level"],
    }
    return {**context, "level": level, "totals": totals, "heatmap": heatmap, "empty": totals["tokens"] == 0,
            "top_models": shares(stats["topModels"], "model"), "top_tools": shares(stats["topSources"], "source"),
            "pinned": showcase.pinned_achievements(person.id), "og": open_graph(person, True, totals)}


# ---------------------------------------------------------------- dashboard

def _overview(user: User, period: Period) -> dict:
    body = figures.dashboard_body(user, "overview", period.name)
    summary = figures.summary(user, period.name)
    series = figures.dashboard_body(user, "trends", period.name)["usageOverTime"]
    chart = charts.time_series([_day(p["date"]) for p in series], {"Tokens": [p["tokens"] for p in series]},
                               title=f"Tokens {{per}}, {period.label.lower()} ({user.timezone})",
                               time_zone=user.timezone) if series else None
    return {"tokens": summary["tokens"], "cost": summary["cost_nanos"] / 1e9,
            "cache_efficiency": summary["cache_efficiency"], "active_days": summary["active_days"],
            "streak": body["streak"], "level": body["level"], "all_time": body["allTime"],
            "this_month": body["thisMonth"], "this_week": body["thisWeek"],
            "top_tools": shares(figures.breakdown(user, period.name, "source"), "source"), "chart": chart}


def _trends(user: User, period: Period) -> dict:
    body = figures.dashboard_body(user, "trends", period.name)
    tz, label = user.timezone, period.label.lower()
    points = body["usageOverTime"]
    days = [_day(p["date"]) for p in points]
    usage_chart = charts.time_series(days, {"Tokens": [p["tokens"] for p in points]},
                                     title=f"Tokens {{per}}, {label} ({tz})", time_zone=tz) if points else None
    hours = [0] * 24
    for row in body["peakHours"]:
        hours[int(row["hour"])] = row["tokens"]
    weekdays = [0] * 7
    for row in body["dayOfWeek"]:
        weekdays[charts.WEEKDAYS.index(row["day"])] = row["tokens"]
    return {"week_over_week": body["weekOverWeek"], "month_over_month": body["monthOverMonth"],
            "usage_chart": usage_chart,
            "hours_chart": charts.hour_chart(hours, title="Tokens by hour of day, all time", time_zone=tz),
            "weekday_chart": charts.weekday_chart(weekdays, title=f"Tokens by day of week, {label}", time_zone=tz)}


def _breakdown(user: User, period: Period, key: str, noun: str, body: dict, new_key: str) -> dict:
    tz, label = user.timezone, period.label.lower()
    distribution = body["distribution"]
    bars = charts.bar_chart(
        [(row[key], row["tokens"]) for row in distribution[:10]], title=f"Tokens by {noun}, {label} ({tz})",
        extra=[("Cost (API-equivalent estimate)", [fmt.usd(row["cost"]) for row in distribution[:10]]),
               ("Share", [fmt.percent(row["percentage"] / 100, 1) for row in distribution[:10]])],
    ) if distribution else None
    names = [row[key] for row in distribution]
    used = [_day(row["date"]) for row in body["overTime"]]
    days = day_range(period.start or min(used), period.end) if used else []
    index = {d: i for i, d in enumerate(days)}
    series = {name: [0] * len(days) for name in names}
    for row in body["overTime"]:
        series.setdefault(row[key], [0] * len(days))[index[_day(row["date"])]] += row["tokens"]
    over_time = charts.time_series(days, series, title=f"Tokens {{per}} by {noun}, {label}", time_zone=tz) if days \
        else None
    new = [{"name": row[key], "tokens": row["tokens"], "first_used": local_date(row["firstUsed"], tz)}
           for row in body[new_key]]
    return {"distribution_chart": bars, "over_time_chart": over_time, "new": new, "noun": noun,
            "noun_plural": noun + "s"}


CHARTS = ("distribution_chart", "over_time_chart")


def _breakdown_panel(user: User, period: Period, key: str, noun: str, name: str, new_key: str) -> dict:
    """The Models or Tools panel, memoized with the user's figures: over two years its charts take longer
    to draw than everything else in the request. The charts are cached as the markup charts.py made."""
    def build() -> dict:
        data = _breakdown(user, period, key, noun, figures.dashboard_body(user, name, period.name), new_key)
        return {**data, **{chart: str(data[chart]) if data[chart] is not None else None for chart in CHARTS}}

    data = figures.cached(user, f"panel:{name}:{period.name}", build)
    return {**data, **{chart: Markup(data[chart]) if data[chart] is not None else None for chart in CHARTS}}


def _machines(user: User, period: Period) -> dict:
    body = figures.machines(user, period.name)
    used = [m for m in body["machines"] if m["tokens"]]
    chart = charts.bar_chart(
        [(m["label"], m["tokens"]) for m in used], title=f"Tokens by computer, {period.label.lower()}",
        extra=[("Cost (API-equivalent estimate)", [fmt.usd(m["cost"]) for m in used]),
               ("Share", [fmt.percent(m["share"], 1) for m in used]),
               ("Records", [fmt.number(m["records"]) for m in used])]) if used else None
    machines = [{**m, "last_seen": local_date(m["lastSeen"], user.timezone) or "never"} for m in body["machines"]]
    return {**body, "machines": machines, "chart": chart}


def dashboard_context(user: User, tab: str, period: Period) -> dict:
    context = {"server": base_url(), "period_text": period_text(period),
               "empty": figures.summary(user, "all")["records"] == 0}
    if context["empty"]:
        return {**context, "d": {}}
    if tab == "overview":
        data = _overview(user, period)
    elif tab == "trends":
        data = _trends(user, period)
    elif tab == "models":
        data = _breakdown_panel(user, period, "model", "model", "models", "newModels")
    elif tab == "tools":
        data = _breakdown_panel(user, period, "source", "tool", "tools", "newTools")
    elif tab == "machines":
        data = _machines(user, period)
    else:
        data = figures.insights(user, period.name)
        data = {**data, "percentile_labels": PERCENTILE_LABELS,
                "known_percentiles": [k for k, v in data["percentiles"].items() if v is not None]}
    return {**context, "d": data}


# ---------------------------------------------------------------- compare

def compare_context(a: User, b: User, viewer_id: int | None = None) -> dict:
    sides = []
    for person in (a, b):
        public = person.id != viewer_id  # only the owner's own side includes days under review
        stats = figures.user_stats(person, public)
        sides.append({"person": person, "stats": stats, "level": rules.level_info(person.xp_centi),
                      "active_days": figures.summary(person, "all", public)["active_days"],
                      "top_models": shares(stats["topModels"], "model")})
    measures = (
        ("Tokens", lambda s: s["stats"]["totalTokens"], fmt.compact),
        ("Cost (API-equivalent estimate)", lambda s: s["stats"]["totalCost"], fmt.usd_compact),
        ("Cache efficiency", lambda s: s["stats"]["cacheEfficiency"], fmt.percent),
        ("Active days", lambda s: s["active_days"], fmt.number),
        ("Current streak", lambda s: s["stats"]["currentStreak"], lambda n: fmt.plural(n, "day")),
        ("Longest streak", lambda s: s["stats"]["longestStreak"], lambda n: fmt.plural(n, "day")),
        ("Level", lambda s: s["level"]["level"], fmt.number),
        ("Achievements", lambda s: s["stats"]["achievementsUnlocked"], fmt.number),
    )
    rows = []
    for label, value, show in measures:
        left, right = value(sides[0]) or 0, value(sides[1]) or 0
        rows.append({"label": label, "cells": [{"text": show(left), "ahead": left > right},
                                                {"text": show(right), "ahead": right > left}]})
    return {"sides": sides, "rows": rows}
