"""The session rules every source shares (burntop/client/sessions.py): active time, lines of code,
commits, and totals that do not depend on which run read which file."""
from __future__ import annotations

import random

from burntop.client.sessions import (
    Tally, combine, commits_in, diff_added_lines, epochs, patch_added_lines, text_lines,
)

T0 = 1_759_320_000.0  # 2025-10-01T12:00:00Z


def part(*events: float, session: str = "s1") -> dict:
    tally = Tally()
    for at in events:
        tally.event(session, T0 + at)
    return tally.dump()


def active(*events: float) -> int:
    return combine([part(*events)])["s1"].active_seconds


def test_gaps_up_to_five_minutes_count_and_longer_gaps_are_idle():
    assert active(0) == 0                              # one lone event
    assert active(0, 60, 120) == 120
    assert active(0, 300) == 300                       # exactly five minutes still counts
    assert active(0, 301) == 0                         # a longer gap counts nothing, not five minutes
    assert active(0, 60, 3660, 3700) == 60 + 40        # two runs: 0-60 and 3660-3700
    assert active(3700, 0, 3660, 60) == 100            # order of arrival does not matter


def test_start_and_end_are_the_first_and_last_event():
    totals = combine([part(500, 0, 9000)])["s1"]
    assert (totals.started, totals.ended) == (T0, T0 + 9000)


def test_totals_over_several_parts_equal_one_part_holding_every_event():
    rng = random.Random(7)
    events = [rng.uniform(0, 20_000) for _ in range(400)]
    whole = combine([part(*events)])["s1"]
    for pieces in (2, 3, 17):
        rng.shuffle(events)
        parts = [part(*events[i::pieces]) for i in range(pieces)]
        split = combine(parts)["s1"]
        assert (split.started, split.ended, split.active_seconds) == (whole.started, whole.ended, whole.active_seconds)


def test_an_event_between_two_runs_joins_them():
    # two files read on different runs: 0-100 and 500-600 are apart; 300 falls within 5 minutes of both
    assert combine([part(0, 100), part(500, 600)])["s1"].active_seconds == 200
    assert combine([part(0, 100), part(500, 600), part(300)])["s1"].active_seconds == 600
    tally = Tally(part(0, 100))
    tally.event("s1", T0 + 500)
    tally.event("s1", T0 + 600)
    tally.event("s1", T0 + 300)  # out of order inside one part as well
    assert tally.dump()["s1"]["spans"] == [[T0, T0 + 600]]


def test_a_call_copied_into_another_session_counts_once_for_the_earliest_copy():
    original, copy = Tally(), Tally()
    original.unit("parent", "toolu_1", T0 + 10, lines=12)
    copy.unit("resumed", "toolu_1", T0 + 86_400, lines=12)   # a resumed session's replay, a day later
    copy.unit("resumed", "toolu_2", T0 + 86_460, commits=1)
    for order in ([original.dump(), copy.dump()], [copy.dump(), original.dump()]):
        totals = combine(order)
        assert (totals["parent"].lines_of_code, totals["parent"].commits) == (12, 0)
        assert (totals["resumed"].lines_of_code, totals["resumed"].commits) == (0, 1)


def test_units_without_lines_or_commits_are_not_kept_but_their_time_is_an_event():
    tally = Tally()
    tally.unit("s1", "toolu_1", T0, lines=0)
    assert tally.dump() == {}


def test_payload_holds_the_hashed_id_times_and_counts_only():
    tally = Tally()
    tally.event("0f1e2d3c-session", T0)
    tally.unit("0f1e2d3c-session", "toolu_1", T0 + 120, lines=7)
    payload = combine([tally.dump()])["0f1e2d3c-session"].to_payload("claude-code", "0f1e2d3c-session", "5a17" * 8)
    assert payload == {"sessionId": payload["sessionId"], "source": "claude-code",
                       "startedAt": "2025-10-01T12:00:00Z", "endedAt": "2025-10-01T12:02:00Z",
                       "activeSeconds": 120, "commits": 0, "linesOfCode": 7}
    assert len(payload["sessionId"]) == 32 and "0f1e2d3c" not in payload["sessionId"]


def test_lines_added_are_the_plus_lines():
    assert text_lines("") == 0
    assert text_lines("a\nb\nc") == 3
    assert text_lines("a\nb\nc\n") == 3
    patch = ("*** Begin Patch\n*** Add File: hello.py\n+print('hi')\n+\n*** Update File: app.py\n"
             "*** Move to: main.py\n@@ def greet():\n context\n-print(\"Hi\")\n+print(\"Hello\")\n+++counter\n"
             "*** Delete File: old.txt\n*** End Patch")
    assert patch_added_lines(patch) == 4            # 2 in the new file, 2 in the update ("++counter" is code)
    assert patch_added_lines("apply_patch <<'EOF'\n" + patch + "\nEOF\n+not in the patch") == 4
    assert patch_added_lines("+no envelope") == 0
    assert diff_added_lines("a\nb\nc\n", "a\nB\nc\nd\n") == 2
    assert diff_added_lines("a\nb\n", "a\n") == 0


def test_commits_need_a_commit_command_and_git_summary_lines():
    summary = "[main 1a2b3c4] Add checkout\n 2 files changed, 10 insertions(+)\n"
    assert commits_in("git commit -m 'Add checkout'", summary) == 1
    assert commits_in("git -C /src/shop commit -am x && git push", "Exit code 1\n" + summary + "error: failed to push") == 1
    assert commits_in("git -c user.name=x --no-pager commit -m x", "[feature/a-b (root-commit) 0123abcd] First\n") == 1
    assert commits_in("git commit --amend --no-edit", "[detached HEAD 9f8e7d6] Fix\n") == 1
    assert commits_in("git commit -m a && git commit -m b", "[main 1111111] a\n x\n[main 2222222] b\n") == 2
    assert commits_in("git commit -m x", "On branch main\nnothing to commit, working tree clean\n") == 0
    assert commits_in("git log --oneline", summary) == 0          # not a commit command
    assert commits_in("echo git committed", summary) == 0
    assert commits_in("git commit -m x", "see [main 1a2b3c4] in the middle of a line") == 0


def test_times_added_at_once_give_the_spans_of_events_added_one_by_one():
    rng = random.Random(11)
    for _ in range(200):
        times = [T0 + rng.choice([rng.uniform(0, 4000), rng.randint(0, 40) * 150.0]) for _ in range(rng.randint(1, 40))]
        saved = part(*[t - T0 for t in times[:5]])  # a checkpoint's part, then the rest of the file
        one_by_one, at_once = Tally(saved), Tally(saved)
        for at in times[5:]:
            one_by_one.event("s1", at)
        at_once.add_times("s1", list(times[5:]))
        assert at_once.dump() == one_by_one.dump()


def test_raw_timestamps_read_in_bulk_are_the_epoch_of_each_and_bad_ones_are_left_out():
    stamps = [b"2025-10-01T12:00:00.250Z", b"2025-10-01T12:00:01Z", b"2025-10-01T14:00:00+02:00"]
    assert epochs(stamps) == [T0 + 0.25, T0 + 1, T0]
    naive = [b"2025-10-01T12:00:00", b"2025-10-01T12:00:02.5Z"]
    assert epochs(naive) == [T0, T0 + 2.5]  # naive means UTC, never the machine's zone
    assert epochs([b"2025-10-01T12:00:03Z", b"not a time", b"2025-13-01T00:00:00Z", b"\xff"]) == [T0 + 3]
