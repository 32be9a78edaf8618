"""One board as a request asks for it: validated parameters in, a page of rows and the viewer's entry out.
Shared by GET /api/leaderboard and the /leaderboard page."""
from __future__ import annotations

from dataclasses import dataclass

from burntop.leaderboard import read, rules, snapshots


@dataclass(frozen=True)
class Query:
    type: str
    period: str
    tool: str | None
    model: str | None
    region: str | None
    cursor: int
    limit: int

    @property
    def key(self) -> rules.BoardKey:
        return rules.board_key(self.type, self.period, self.tool, self.model, self.region)

    def args(self, **changes) -> dict:
        """Query-string arguments (defaults left out), with `changes` applied: for links and forms."""
        values = {"type": self.type, "period": self.period, "tool": self.tool, "model": self.model,
                  "region": self.region} | changes
        defaults = {"type": "global", "period": "all"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}


@dataclass(frozen=True)
class Result:
    query: Query
    key: rules.BoardKey
    page: read.Page
    viewer_entry: tuple[int, int] | None
    computed_at: object
    size: int


def parse(args, default_limit: int = rules.DEFAULT_LIMIT) -> Query:
    """Validate query-string arguments; raises rules.BoardError naming the parameter."""
    board_type = rules.choose("type", args.get("type"), rules.TYPES, "global")
    period = rules.choose("period", args.get("period"), rules.BOARD_PERIODS, "all")
    region = rules.choose("region", args.get("region"), rules.REGIONS, "") or None
    query = Query(board_type, period, args.get("tool") or None, args.get("model") or None, region,
                  rules.parse_cursor(args.get("cursor")),
                  rules.parse_limit(args.get("limit")) if args.get("limit") else default_limit)
    query.key  # validates the filter combination
    return query


def load(query: Query, viewer_id: int | None) -> Result:
    key = query.key
    board = snapshots.board_for(key)
    if board is None:
        return Result(query, key, read.Page([], None, False), None, None, 0)
    if query.type == "friends":
        page = read.friends_page(board.id, viewer_id, query.cursor, query.limit)
        entry = read.friends_entry(board.id, viewer_id)
    else:
        page = read.page(board.id, query.cursor, query.limit, board.size)
        entry = read.user_entry(board.id, viewer_id) if viewer_id is not None else None
    return Result(query, key, page, entry, board.computed_at, board.size)
