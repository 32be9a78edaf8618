"""Snapshots computed from the rollups: every type, windows in several zones, order, minimum volumes, who is listed."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from burntop.extensions import db
from burntop.leaderboard import compute, rules
from burntop.models import Activity, LeaderboardBoard, LeaderboardEntry, Notification
from tests.factories import make_user
from tests.leaderboard.helpers import rollup

# Sunday 29 Nov 2026, 23:30 UTC: Monday 30 Nov in Tokyo, Sunday 29 Nov in Los Angeles and UTC.
NOW = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 29)


def ranks(board_type: str, period: str = "all", kind: str = "", value: str = "") -> list[tuple[str, int]]:
    """(username, score) in rank order on a stored board's current generation."""
    from burntop.models import User

    b = db.session.scalar(select(LeaderboardBoard).where(
        LeaderboardBoard.type == board_type, LeaderboardBoard.period == period,
        LeaderboardBoard.filter_kind == kind, LeaderboardBoard.filter_value == value))
    assert b is not None and b.generation > 0
    rows = db.session.execute(select(User.username, LeaderboardEntry.score).join(
        User, User.id == LeaderboardEntry.user_id).where(
        LeaderboardEntry.board_id == b.id, LeaderboardEntry.generation == b.generation)
        .order_by(LeaderboardEntry.rank)).all()
    assert [r.rank for r in db.session.scalars(select(LeaderboardEntry).where(
        LeaderboardEntry.board_id == b.id, LeaderboardEntry.generation == b.generation)
        .order_by(LeaderboardEntry.rank))] == list(range(1, len(rows) + 1))
    return [tuple(r) for r in rows]


def refresh(now: datetime = NOW, kinds=("", "tool")) -> None:
    for kind in kinds:
        compute.compute_family(kind, now=now)


def test_tokens_rank_with_the_documented_tie_break(app):
    a, b, c, d = (make_user(n) for n in ("ann", "bea", "cal", "dan"))
    rollup(a, TODAY, input_tokens=1000)
    rollup(b, TODAY, input_tokens=600)
    rollup(b, TODAY - timedelta(days=1), input_tokens=300, output_tokens=100)  # same total, more output
    rollup(c, TODAY, input_tokens=1000)                       # same total and output as ann, later account
    rollup(d, TODAY, output_tokens=300, cache_creation_tokens=200, cache_read_tokens=1500)
    refresh()
    assert ranks("global") == [("dan", 2000), ("bea", 1000), ("ann", 1000), ("cal", 1000)]
    refresh()
    assert ranks("global") == [("dan", 2000), ("bea", 1000), ("ann", 1000), ("cal", 1000)], "the same every time"


def test_week_and_month_windows_follow_each_persons_zone(app):
    tokyo = make_user("tokyo", timezone="Asia/Tokyo")
    angeles = make_user("angeles", timezone="America/Los_Angeles")
    # Tokyo is already in Monday 30 Nov (a new week): its Sunday does not count this week any more.
    rollup(tokyo, date(2026, 11, 29), input_tokens=5000)
    rollup(tokyo, date(2026, 11, 30), input_tokens=10)
    # Los Angeles is still in Sunday 29 Nov: its Monday 23 Nov is in this week.
    rollup(angeles, date(2026, 11, 23), input_tokens=700)
    rollup(angeles, date(2026, 11, 22), input_tokens=9000)  # the Sunday before: last week
    refresh()
    assert ranks("global", "week") == [("angeles", 700), ("tokyo", 10)]
    assert ranks("global", "7d") == [("tokyo", 5010), ("angeles", 700)]  # 24-30 Nov / 23-29 Nov
    assert ranks("global", "month") == [("angeles", 9700), ("tokyo", 5010)]
    # 20:00 UTC on 30 Nov: Tokyo is in December, New York and Los Angeles in November.
    refresh(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc))
    assert ranks("global", "month") == [("angeles", 9700)], "Tokyo's new month is empty so far"


def test_a_day_in_the_future_of_someones_zone_is_not_counted_yet(app):
    user = make_user("early", timezone="America/Los_Angeles")
    rollup(user, date(2026, 11, 30), input_tokens=100)  # Monday: not yet begun in Los Angeles
    rollup(user, date(2026, 11, 29), input_tokens=1)
    refresh()
    assert ranks("global") == [("early", 1)]


def test_diverse_counts_priced_models_only(app):
    a, b = make_user("ann"), make_user("bea")
    for model in ("claude-sonnet-4-20250514", "gpt-4o", "o3"):
        rollup(a, TODAY, model=model, input_tokens=10)
    rollup(b, TODAY, model="claude-sonnet-4-20250514", input_tokens=10)
    for model in ("made-up-1", "made-up-2", "made-up-3"):
        rollup(b, TODAY, model=model, input_tokens=10, priced=False)
    refresh()
    assert ranks("diverse") == [("ann", 3), ("bea", 1)]


def test_efficient_has_a_minimum_volume(app):
    small, big, bigger = make_user("small"), make_user("big"), make_user("bigger")
    rollup(small, TODAY, input_tokens=1, cache_read_tokens=999)       # 99.9% on a thousand tokens
    rollup(big, TODAY, input_tokens=100_000, cache_read_tokens=900_000)  # 90% on a million
    rollup(bigger, TODAY, input_tokens=200_000, cache_read_tokens=1_800_000)  # 90% on two million
    refresh()
    assert ranks("efficient") == [("bigger", 900_000), ("big", 900_000)]
    assert rules.efficient_score(900_000, 1_000_000) == 900_000, "the SQL and the rule agree"


def test_rising_compares_the_last_7_local_days_with_the_7_before(app):
    steady, riser, jumper, faller = (make_user(n) for n in ("steady", "riser", "jumper", "faller"))
    last, before = TODAY, TODAY - timedelta(days=7)  # 29 Nov is in the last 7 days, 22 Nov in the 7 before
    rollup(steady, before, input_tokens=2_000_000)
    rollup(steady, last, input_tokens=2_500_000)
    rollup(riser, before, input_tokens=1_000_000)
    rollup(riser, last, input_tokens=4_000_000)
    rollup(jumper, last, input_tokens=90_000_000)   # nothing before: not a rise
    rollup(faller, before, input_tokens=5_000_000)
    rollup(faller, last, input_tokens=1_000_000)
    rollup(faller, TODAY - timedelta(days=14), input_tokens=99_000_000)  # older than both windows
    refresh()
    assert ranks("rising", "7d") == [("riser", 30_000), ("steady", 2_500)]
    assert rules.rising_score(4_000_000, 1_000_000) == 30_000


def test_streak_is_the_current_run_of_local_days(app):
    alive, yesterday, broken = make_user("alive"), make_user("yesterday"), make_user("broken")
    for n in range(5):
        rollup(alive, TODAY - timedelta(days=n), input_tokens=1)
    for n in range(1, 4):
        rollup(yesterday, TODAY - timedelta(days=n), input_tokens=1)  # still alive until tonight
    for n in range(2, 12):
        rollup(broken, TODAY - timedelta(days=n), input_tokens=1)    # a whole day missed
    rollup(alive, TODAY - timedelta(days=9), input_tokens=1)        # an older run does not count
    refresh()
    assert ranks("streak") == [("alive", 5), ("yesterday", 3)]


def test_reasoning_and_filters(app):
    a = make_user("ann", region="EU")
    b = make_user("bea", region="NA")
    rollup(a, TODAY, model="o3", source="codex", input_tokens=10, reasoning_tokens=500)
    rollup(b, TODAY, model="o3", source="claude-code", input_tokens=10, reasoning_tokens=900)
    rollup(b, TODAY, model="gpt-4o", source="codex", input_tokens=10_000)
    refresh()
    compute.compute_family("model", ["gpt-4o", "o3"], now=NOW)
    assert ranks("reasoning") == [("bea", 900), ("ann", 500)]
    assert ranks("global", "all", "region", "EU") == [("ann", 10)], "reasoning tokens are part of the output"
    assert ranks("global", "all", "tool", "codex") == [("bea", 10_000), ("ann", 10)]
    assert ranks("global", "all", "model", "gpt-4o") == [("bea", 10_000)]
    assert ranks("reasoning", "week", "tool", "claude-code") == [("bea", 900)]


def test_private_and_demo_users_are_never_listed_unless_local_mode(app):
    for n, user in enumerate((make_user("open"), make_user("shy", is_public=False),
                              make_user("demo-1", is_demo=True))):
        rollup(user, TODAY, input_tokens=100 + n)
    refresh()
    assert ranks("global") == [("open", 100)]
    app.config["BURNTOP_LOCAL_MODE"] = True
    refresh()
    assert [name for name, _ in ranks("global")] == ["demo-1", "open"], "demo users in local mode, never the private"


def test_boards_keep_the_previous_day_for_trends_and_drop_other_generations(app):
    a, b = make_user("ann"), make_user("bea")
    rollup(a, TODAY, input_tokens=100)
    rollup(b, TODAY, input_tokens=50)
    refresh()
    rollup(b, TODAY - timedelta(days=1), input_tokens=500)
    refresh(NOW + timedelta(minutes=1))
    refresh(NOW + timedelta(minutes=2))
    board = db.session.scalar(select(LeaderboardBoard).where(LeaderboardBoard.type == "global",
                                                             LeaderboardBoard.period == "all",
                                                             LeaderboardBoard.filter_kind == ""))
    generations = set(db.session.scalars(select(LeaderboardEntry.generation).where(
        LeaderboardEntry.board_id == board.id)))
    assert board.generation == 3 and board.baseline_generation == 0 and generations == {3}
    refresh(NOW + timedelta(days=1, minutes=1))  # a day later: generation 3 becomes the baseline
    board = db.session.get(LeaderboardBoard, board.id, populate_existing=True)
    generations = set(db.session.scalars(select(LeaderboardEntry.generation).where(
        LeaderboardEntry.board_id == board.id)))
    assert (board.generation, board.baseline_generation, generations) == (4, 3, {3, 4})
    assert board.size == 2


def test_entering_the_top_10_is_announced_once_per_board_and_period(app):
    users = [make_user(f"player-{i}") for i in range(12)]
    for i, user in enumerate(users):
        rollup(user, TODAY, input_tokens=1000 - i)
    refresh(kinds=("",))
    assert db.session.scalar(select(Activity).where(Activity.type == "leaderboard_rank")) is None, \
        "a board's first computation announces nothing"
    rollup(users[-1], TODAY - timedelta(days=1), input_tokens=5000)  # the last one jumps to first
    refresh(NOW + timedelta(minutes=1), kinds=("",))
    refresh(NOW + timedelta(minutes=2), kinds=("",))
    mine = db.session.scalars(select(Activity).where(Activity.type == "leaderboard_rank",
                                                     Activity.user_id == users[-1].id)).all()
    boards = sorted((a.data["board"], a.data["period"], a.data["top"]) for a in mine)
    assert ("global", "all", 10) in boards and ("global", "month", 10) in boards
    assert all(top == 10 for _, _, top in boards) and len(boards) == len(set(boards)), "once per board and period"
    assert {a.data["rank"] for a in mine if a.data["board"] == "global"} == {1}
    note = db.session.scalar(select(Notification).where(Notification.user_id == users[-1].id,
                                                        Notification.type == "leaderboard_rank"))
    assert note is not None and note.title == "Top 10!"
    # Someone pushed from 10th to 11th is not announced anything.
    assert not db.session.scalars(select(Activity).where(Activity.user_id == users[9].id)).all()
