"""Reading stored ranks: a page from a cursor, the viewer's own entry, and the friends board.

Every read is one indexed statement over the board's current generation joined to users, so a
page costs the same with 10,000 or 100,000 people on the board. Listing conditions are applied again
here (public, not demo outside local mode), so someone who turns private leaves every board at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from burntop.extensions import db
from burntop.leaderboard import compute, rules
from burntop.models import Follow, LeaderboardBoard, LeaderboardEntry, User


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int
    username: str
    name: str | None
    image: str | None
    avatar_digest: str | None
    level: int
    score: int
    baseline_rank: int | None
    board_rank: int  # the rank on the stored board (a friends board re-ranks it)

    @property
    def trend(self) -> str:
        return rules.trend(self.board_rank, self.baseline_rank)

    @property
    def display_name(self) -> str:
        return self.name or self.username


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: int | None
    has_more: bool


def _columns(e, rank):
    return (rank.label("rank"), User.id, User.username, User.name, User.image, User.avatar_digest, User.level,
            e.c.score, e.c.baseline_rank, e.c.rank.label("board_rank"))


def _current(board_id: int):
    """The board's current entries (one statement reads the generation and its rows together)."""
    e = LeaderboardEntry.__table__
    b = LeaderboardBoard.__table__
    return e, and_(e.c.board_id == board_id, e.c.board_id == b.c.id, e.c.generation == b.c.generation)


def page(board_id: int, cursor: int, limit: int) -> Page:
    e, current = _current(board_id)
    rows = db.session.execute(
        select(*_columns(e, e.c.rank)).select_from(e).join(LeaderboardBoard.__table__, current)
        .join(User, User.id == e.c.user_id).where(e.c.rank >= cursor, compute.listed_users())
        .order_by(e.c.rank).limit(limit + 1)).all()
    return _page([Row(*row) for row in rows], limit)


def _page(rows: list[Row], limit: int) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].rank + 1 if more and rows else None, more)


def user_entry(board_id: int, user_id: int) -> tuple[int, int, int | None] | None:
    """(rank, score, baseline rank) of one user on a board, wherever they are; None if not on it."""
    e, current = _current(board_id)
    row = db.session.execute(select(e.c.rank, e.c.score, e.c.baseline_rank).select_from(e)
                             .join(LeaderboardBoard.__table__, current).where(e.c.user_id == user_id)).first()
    return tuple(row) if row else None


def _circle(viewer_id: int):
    followed = select(Follow.followee_id).where(Follow.follower_id == viewer_id, Follow.status == "accepted")
    return or_(LeaderboardEntry.__table__.c.user_id == viewer_id,
               LeaderboardEntry.__table__.c.user_id.in_(followed))


def _friends(board_id: int, viewer_id: int):
    """The viewer and the people they follow (accepted), re-ranked in the global board's order."""
    e, current = _current(board_id)
    rank = func.row_number().over(order_by=e.c.rank)
    return (select(*_columns(e, rank)).select_from(e).join(LeaderboardBoard.__table__, current)
            .join(User, User.id == e.c.user_id).where(_circle(viewer_id), compute.listed_users())
            .subquery("friends"))


def friends_page(board_id: int, viewer_id: int, cursor: int, limit: int) -> Page:
    f = _friends(board_id, viewer_id)
    rows = db.session.execute(select(f).where(f.c.rank >= cursor).order_by(f.c.rank).limit(limit + 1)).all()
    return _page([Row(*row) for row in rows], limit)


def friends_entry(board_id: int, viewer_id: int) -> tuple[int, int, int | None] | None:
    f = _friends(board_id, viewer_id)
    row = db.session.execute(select(f.c.rank, f.c.score, f.c.baseline_rank).where(f.c.id == viewer_id)).first()
    return tuple(row) if row else None
