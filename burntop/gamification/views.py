"""Achievement pages: the catalog with its filters, the pinned showcase, and the header's level and XP bar."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, flash, has_request_context, make_response, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required

from burntop.format import compact, number
from burntop.gamification import catalog, recompute, rules, showcase

bp = Blueprint("achievements", __name__)

FILTERS = {"category": catalog.CATEGORIES, "rarity": catalog.RARITIES}


@bp.app_context_processor
def _level():
    """The signed-in user's level for the header XP bar: arithmetic on the already loaded user's XP."""
    if has_request_context() and current_user.is_authenticated:
        return {"level_info": rules.level_info(current_user.xp_centi)}
    return {}


@bp.app_template_filter("achievement_date")
def achievement_date(iso: str | None, tz: str = "UTC") -> str:
    """'2025-06-03T12:00:00Z' -> '3 Jun 2025' in a time zone (shared with pages that include the showcase)."""
    if not iso:
        return ""
    local = datetime.fromisoformat(iso).astimezone(ZoneInfo(tz))
    return f"{local.day} {local:%b %Y}"


@bp.context_processor
def _helpers():
    return {"progress_view": progress_view, "max_pinned": showcase.MAX_PINNED}


def progress_view(a: catalog.AchievementDef, progress: dict) -> dict:
    """How a locked achievement's progress reads: '1.4M / 10M tokens', with its percentage."""
    requirement = next((r for r in a.requirements if r.target == progress["target"]), a.requirements[0])
    percent = round(progress["percentage"] * 100)
    if not catalog.counted(requirement.metric):  # a yes/no condition ("public API on") has no count to show
        text = f"Not yet: {catalog.phrase(requirement.metric, 1, '')}"
    else:
        unit = "$" if requirement.metric == "cost_usd" else ""
        pct = "%" if requirement.metric.endswith("_pct") else ""
        target = catalog.phrase(requirement.metric, requirement.target, compact(requirement.target))
        text = f"{unit}{compact(progress['current'])}{pct} / {target}"
    return {"text": text, "percent": percent, "label": f"Progress toward {a.name}: {text}"}


def _htmx_swap() -> bool:
    """A request htmx sends to swap a partial (a boosted navigation or a history restore wants the page)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and not headers.get("HX-Boosted")
            and not headers.get("HX-History-Restore-Request"))


def _user_states() -> dict[str, dict]:
    if not current_user.is_authenticated:
        return {}
    return {a["id"]: a for a in showcase.user_achievements(current_user.id)}


@bp.get("/achievements")
def index():
    chosen = {name: value if (value := request.args.get(name)) in allowed else None
              for name, allowed in FILTERS.items()}
    states = _user_states()
    context = {
        "chosen": chosen, "achievements": catalog.select(**chosen), "states": states,
        "total": len(catalog.ACHIEVEMENTS), "by_category": catalog.by_category(), "by_rarity": catalog.by_rarity(),
        "unlocked_count": sum(s["unlocked"] for s in states.values()),
        "tz": current_user.timezone if current_user.is_authenticated else "UTC",
    }
    if _htmx_swap():
        response = make_response(render_template("achievements/_grid.html", filters_oob=True, **context))
        # The radios' values would otherwise leave "?category=&rarity=" in the address bar.
        response.headers["HX-Push-Url"] = url_for(".index", **{k: v for k, v in chosen.items() if v})
    else:
        xp_note = recompute.latest_note(current_user.id) if current_user.is_authenticated else None
        response = make_response(render_template("achievements/index.html", xp_note=xp_note, **context))
    response.vary.add("HX-Request")
    return response


def _showcase_context() -> dict:
    unlocked = [a for a in showcase.user_achievements(current_user.id) if a["unlocked"]]
    return {"unlocked": unlocked, "pinned": showcase.pinned_achievements(current_user.id),
            "total": len(catalog.ACHIEVEMENTS), "tz": current_user.timezone}


@bp.get("/achievements/showcase")
@login_required
def showcase_page():
    return render_template("achievements/showcase.html", **_showcase_context())


@bp.post("/achievements/<achievement_id>/pin")
@login_required
def pin(achievement_id: str):
    pinned = request.form.get("pinned") == "true"
    try:
        outcome = showcase.set_pinned(current_user.id, achievement_id, pinned)
    except showcase.PinError as exc:
        if exc.status == 404:
            abort(404)
        error, message, new = exc.message, None, []
    else:
        name = catalog.BY_ID[achievement_id].name
        error, new = None, [catalog.BY_ID[i] for i in outcome.unlocked]
        message = f"Pinned {name} to your showcase." if pinned else f"Unpinned {name}."
    if not _htmx_swap():
        flash(error or message, "error" if error else "success")
        for a in new:
            flash(f"Achievement unlocked: {a.name} (+{number(a.xp_reward)} XP)", "success")
        return redirect(url_for(".showcase_page"), 303)
    return render_template("achievements/_pin_response.html", error=error, error_id=achievement_id,
                           message=message, new=new, **_showcase_context())
