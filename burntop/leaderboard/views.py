"""/leaderboard: the boards as a page. Controls are a GET form that htmx turns into table swaps (the
address bar follows); rows load on scroll; "find me" jumps to the viewer's rank."""
from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from burntop.extensions import db
from burntop.format import number
from burntop.leaderboard import board, compute, rules
from burntop.models import LeaderboardBoard
from burntop.stats import periods

bp = Blueprint("leaderboard", __name__)

PAGE_SIZE = 50
FIND_ME_CONTEXT = 3  # rows shown above the viewer's own when jumping to it
TYPE_LABELS = {"global": "Tokens", "diverse": "Models", "efficient": "Cache efficiency", "streak": "Streak",
               "rising": "Rising", "reasoning": "Reasoning", "friends": "Friends"}
PERIOD_LABELS = {"all": "All time", "month": "This month", "week": "This week", "30d": "30 days", "7d": "7 days"}
REGION_LABELS = {"NA": "North America", "EU": "Europe", "APAC": "Asia-Pacific", "SA": "South America",
                 "AF": "Africa", "OCE": "Oceania"}


def _args() -> dict:
    """The page's form sends one `filter` ("tool:cursor", "region:EU"); links may use tool/model/region."""
    args = request.args.to_dict()
    chosen = args.pop("filter", "")
    if chosen and ":" in chosen:
        kind, value = chosen.split(":", 1)
        if kind in rules.FILTERS and value:
            args[kind] = value
    return args


def _htmx_swap() -> bool:
    headers = request.headers
    return (headers.get("HX-Request") == "true" and not headers.get("HX-Boosted")
            and not headers.get("HX-History-Restore-Request"))


def _filter_options() -> list[tuple[str, str]]:
    tools = db.session.scalars(select(LeaderboardBoard.filter_value).where(
        LeaderboardBoard.filter_kind == "tool", LeaderboardBoard.size > 0).distinct().order_by(
        LeaderboardBoard.filter_value)).all()
    return ([(f"region:{code}", name) for code, name in REGION_LABELS.items()]
            + [(f"tool:{tool}", tool) for tool in tools])


def _context(query: board.Query, result: board.Result) -> dict:
    viewer_zone = current_user.timezone if current_user.is_authenticated else "UTC"
    key = result.key
    shown = periods.resolve(key.period if key.period in periods.PERIODS else "all", viewer_zone)
    chosen_filter = next((f"{k}:{v}" for k, v in (("tool", query.tool), ("model", query.model),
                                                   ("region", query.region)) if v), "")
    entry = result.viewer_entry
    find_me = None
    if entry:
        find_me = url_for(".index", **query.args(cursor=max(1, entry[0] - FIND_ME_CONTEXT) if entry[0] > 1 else None))
    return {
        "local_mode": compute.local_mode(),
        "query": query, "result": result, "key": key, "rows": result.page.rows,
        "type_labels": TYPE_LABELS, "period_labels": PERIOD_LABELS, "filter_options": _filter_options(),
        "chosen_filter": chosen_filter, "score_label": lambda score: rules.score_label(key.type, score),
        "window": rules.describe_period(key.type, key.period), "viewer_zone": viewer_zone,
        "viewer_window": shown, "period_applies": key.type in rules.WINDOW_TYPES,
        "viewer_id": current_user.id if current_user.is_authenticated else None,
        "viewer_entry": entry, "find_me": find_me, "number": number,
        "more_url": url_for(".rows", **query.args(cursor=result.page.next_cursor)) if result.page.has_more else None,
        "more_page": url_for(".index", **query.args(cursor=result.page.next_cursor)) if result.page.has_more else None,
        "tie_break": rules.TIE_BREAKS[key.type],
        "minimum": {"efficient": f"at least {number(rules.EFFICIENT_MIN_PROMPT_TOKENS)} prompt tokens in the window",
                    "rising": f"at least {number(rules.RISING_MIN_PREVIOUS_TOKENS)} tokens in the 7 days before"
                    }.get(key.type),
    }


def _load():
    try:
        query = board.parse(_args(), default_limit=PAGE_SIZE)
    except rules.BoardError as error:
        abort(400, str(error))
    if query.type == "friends" and not current_user.is_authenticated:
        return query, None
    return query, board.load(query, current_user.id if current_user.is_authenticated else None)


@bp.get("/leaderboard")
def index():
    query, result = _load()
    if result is None:
        context = {"query": query, "needs_sign_in": True, "type_labels": TYPE_LABELS, "period_labels": PERIOD_LABELS,
                   "filter_options": _filter_options(), "chosen_filter": ""}
    else:
        context = _context(query, result)
    if _htmx_swap():
        response = make_response(render_template("leaderboard/_board.html", controls_oob=True, **context))
        response.headers["HX-Push-Url"] = url_for(".index", **query.args(cursor=query.cursor if query.cursor > 1 else None))
    else:
        response = make_response(render_template("leaderboard/index.html", **context))
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response


@bp.get("/leaderboard/rows")
def rows():
    """The next rows for infinite scroll (with the next sentinel)."""
    query, result = _load()
    if result is None:
        abort(401)
    return render_template("leaderboard/_rows.html", **_context(query, result))
