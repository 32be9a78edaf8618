"""Reading stored ranks: a page from a cursor, the viewer's own entry, and the friends board.

Every read is one indexed statement over the board's current generation joined to users, so a
page costs the same with 10,000 or 100,000 people on the board. Listing conditions are applied again
here (public, not demo outside local mode), so someone who turns private leaves every board at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, and_, func, literal, select, union

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
    is_demo: bool = False  # listed only in local mode (burntop.leaderboard.compute.listed_users), and marked

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


E = LeaderboardEntry.__table__
BASE = LeaderboardEntry.__table__.alias("base")
B = LeaderboardBoard.__table__


def _generation(board_id: int, column=B.c.generation):
    return select(column).where(B.c.id == board_id).scalar_subquery()


def _current(board_id: int):
    """Conditions for a board's current entries: the generation is read in the same statement."""
    return and_(E.c.board_id == board_id, E.c.generation == _generation(board_id))


def _listed(entries, board_id: int, rank):
    """Entries joined to their listed users and their baseline ranks, as Row columns."""
    return (select(rank.label("rank"), User.id, User.username, User.name, User.image, User.avatar_digest, User.level,
                   entries.c.score, BASE.c.rank.label("baseline_rank"), entries.c.rank.label("board_rank"),
                   User.is_demo)
            .select_from(entries).join(User, User.id == entries.c.user_id)
            .join(BASE, and_(BASE.c.board_id == board_id,
                             BASE.c.generation == _generation(board_id, B.c.baseline_generation),
                             BASE.c.user_id == entries.c.user_id), isouter=True)
            .where(compute.listed_users()))


def page_statement(board_id: int, cursor: int, limit: int):
    """The listed rows ranked cursor .. cursor + limit - 1. Ranks are dense positions, so this is a bounded
    range of the (board, generation, rank) index: it touches `limit` entries whatever the plan or the
    board's size (an open range with LIMIT read whole boards when the statistics lagged a refresh)."""
    window = (select(E).where(_current(board_id), E.c.rank.between(cursor, cursor + limit - 1)).subquery("window"))
    return _listed(window, board_id, window.c.rank).order_by(window.c.rank)


def page(board_id: int, cursor: int, limit: int, size: int) -> Page:
    """A page from rank `cursor`; `size` is the board's number of ranks (someone who turned private since
    the refresh leaves a gap, never a shorter board)."""
    rows = [Row(*row) for row in db.session.execute(page_statement(board_id, cursor, limit)).all()]
    more = cursor + limit <= size
    return Page(rows, cursor + limit if more else None, more)


def _page(rows: list[Row], limit: int) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].rank + 1 if more and rows else None, more)


def entry_statement(board_id: int, user_id: int):
    return select(E.c.rank, E.c.score).join(User, User.id == E.c.user_id).where(
        _current(board_id), E.c.user_id == user_id, compute.listed_users())


def user_entry(board_id: int, user_id: int) -> tuple[int, int] | None:
    """(rank, score) of one user on a board, wherever they are; None if not listed on it."""
    row = db.session.execute(entry_statement(board_id, user_id)).first()
    return tuple(row) if row else None


def _friends(board_id: int, viewer_id: int):
    """The viewer and the people they follow (accepted), re-ranked in the global board's order."""
    # One IN over (viewer, followees), not an OR: each is then an index lookup, never a scan of the board.
    people = union(select(literal(viewer_id, Integer)),
                   select(Follow.followee_id).where(Follow.follower_id == viewer_id, Follow.status == "accepted"))
    circle = select(E).where(_current(board_id), E.c.user_id.in_(people)).subquery()
    return _listed(circle, board_id, func.row_number().over(order_by=circle.c.rank)).subquery("friends")


def friends_page(board_id: int, viewer_id: int, cursor: int, limit: int) -> Page:
    f = _friends(board_id, viewer_id)
    rows = db.session.execute(select(f).where(f.c.rank >= cursor).order_by(f.c.rank).limit(limit + 1)).all()
    return _page([Row(*row) for row in rows], limit)


def friends_entry(board_id: int, viewer_id: int) -> tuple[int, int] | None:
    f = _friends(board_id, viewer_id)
    row = db.session.execute(select(f.c.rank, f.c.score).where(f.c.id == viewer_id)).first()
    return tuple(row) if row else None
