"""Claude Code sessions from transcripts shaped as Claude Code 1.0-2.1 writes them (cli.js: tool_use
blocks on assistant lines, tool_result blocks and toolUseResult on user lines): events, active time,
lines added by Edit/MultiEdit/Write/NotebookEdit, commits by Bash `git commit`."""
from __future__ import annotations

import json

from burntop.client.sessions import combine
from burntop.client.sources.claude_code import SOURCE
from tests.client.test_source_claude_code import CWD, SESSION, append, assistant, write

AT = "2025-10-01T12:{:02d}:{:02d}.000Z".format


def prompt(minute, second=0, text="add a checkout page", session=SESSION):
    return json.dumps({"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": CWD,
                       "sessionId": session, "version": "2.0.14", "gitBranch": "main", "type": "user",
                       "message": {"role": "user", "content": text}, "uuid": f"u-{minute}-{second}",
                       "timestamp": AT(minute, second)}, separators=(",", ":"))


def tool_use(message_id, tool_id, name, tool_input, minute, second=0, **extra):
    """The assistant line of a tool_use block (Claude Code writes one line per content block)."""
    return assistant(message_id, f"req_{message_id}", at=AT(minute, second),
                     block={"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}, **extra)


def tool_result(tool_id, content, outcome, minute, second=0, is_error=False, session=SESSION, **extra):
    """The user line carrying a tool's result: the tool_result block and the tool's own result object."""
    block = {"tool_use_id": tool_id, "type": "tool_result", "content": content}
    if is_error:
        block["is_error"] = True
    line = {"parentUuid": "p", "isSidechain": False, "userType": "external", "cwd": CWD, "sessionId": session,
            "version": "2.0.14", "gitBranch": "main", "type": "user",
            "message": {"role": "user", "content": [block]}, "uuid": f"r-{tool_id}",
            "timestamp": AT(minute, second), "toolUseResult": outcome, **extra}
    return json.dumps(line, separators=(",", ":"))


def use(tool_id, name, minute, second=0, **extra):
    """The tool_use line of an edit tool, written before its result (one message per call here)."""
    return tool_use(f"msg_{tool_id}", tool_id, name, {"file_path": f"{CWD}/app.py"}, minute, second, **extra)


def edit(tool_id, hunk_lines, minute, second=1, **extra):
    """An Edit call and its result a second later."""
    return use(tool_id, "Edit", minute, second - 1, **extra), edit_result(tool_id, hunk_lines, minute, second, **extra)


def edit_result(tool_id, hunk_lines, minute, second=0, **extra):
    outcome = {"filePath": f"{CWD}/app.py", "oldString": "b", "newString": "B\nC", "originalFile": "a\nb\nc\n",
               "structuredPatch": [{"oldStart": 1, "oldLines": 3, "newStart": 1, "newLines": 4, "lines": hunk_lines}],
               "userModified": False, "replaceAll": False}
    return tool_result(tool_id, "The file app.py has been updated.", outcome, minute, second, **extra)


def bash(tool_id, command, output, minute, *, ok=True, message="msg_b"):
    use = tool_use(f"{message}_{tool_id}", tool_id, "Bash", {"command": command, "description": "commit"}, minute)
    content = output if ok else f"Exit code 1\n{output}"
    outcome = {"stdout": output, "stderr": "", "interrupted": False, "isImage": False} if ok else f"Error: {content}"
    return use, tool_result(tool_id, content, outcome, minute, 20, is_error=not ok)


def sessions(*paths):
    return combine(SOURCE.parse(p, None).checkpoint["sessions"] for p in paths)


def test_lines_added_by_edit_multiedit_write_and_a_created_file(tmp_path):
    path = write(tmp_path / f"{SESSION}.jsonl",
                 prompt(0),
                 tool_use("msg_1", "toolu_edit", "Edit", {"file_path": f"{CWD}/app.py", "old_string": "b",
                                                         "new_string": "B\nC"}, 0, 30),
                 edit_result("toolu_edit", [" a", "-b", "+B", "+C", " c"], 0, 31),
                 # MultiEdit (Claude Code 1.0.x): one patch for all its edits
                 use("toolu_multi", "MultiEdit", 0, 59),
                 tool_result("toolu_multi", "Applied 2 edits to app.py", {
                     "filePath": f"{CWD}/app.py", "edits": [], "originalFileContents": "a\nB\nC\nc\n",
                     "structuredPatch": [{"oldStart": 1, "oldLines": 1, "newStart": 1, "newLines": 2,
                                          "lines": ["-a", "+A", "+A2"]},
                                         {"oldStart": 4, "oldLines": 1, "newStart": 5, "newLines": 1,
                                          "lines": ["-c", "+c2"]}], "userModified": False}, 1),
                 # Write of a new file: an empty patch, every line of the content counts
                 use("toolu_new", "Write", 1, 59),
                 tool_result("toolu_new", "File created successfully at: checkout.py", {
                     "type": "create", "filePath": f"{CWD}/checkout.py", "content": "def pay():\n    return 1\n",
                     "structuredPatch": []}, 2),
                 # Write over an existing file: its patch
                 use("toolu_over", "Write", 2, 59),
                 tool_result("toolu_over", "The file app.py has been updated.", {
                     "type": "update", "filePath": f"{CWD}/app.py", "content": "x\n",
                     "structuredPatch": [{"oldStart": 1, "oldLines": 5, "newStart": 1, "newLines": 1,
                                          "lines": ["-A", "-A2", "-B", "-C", "-c2", "+x"]}]}, 3),
                 # a Bash result never counts lines, whatever its output looks like
                 tool_use("msg_ls", "toolu_ls", "Bash", {"command": "cat notes"}, 3),
                 tool_result("toolu_ls", "notes", {"stdout": "notes", "structuredPatch": [{"lines": ["+x"]}]}, 3, 1))
    [(session, totals)] = sessions(path).items()
    assert session == SESSION
    assert totals.lines_of_code == 2 + 3 + 2 + 1
    assert (totals.started, totals.ended, totals.active_seconds) == (1759320000.0, 1759320181.0, 181)


def test_a_failed_or_rejected_edit_adds_nothing(tmp_path):
    path = write(tmp_path / "s.jsonl",
                 use("toolu_1", "Edit", 0),
                 tool_result("toolu_1", "<tool_use_error>String to replace not found in file.</tool_use_error>",
                             "Error: String to replace not found in file.", 0, 1, is_error=True),
                 use("toolu_2", "Write", 1),
                 tool_result("toolu_2", "The user doesn't want to proceed with this tool use.",
                             "User rejected tool use", 1, 1, is_error=True))
    assert sessions(path)[SESSION].lines_of_code == 0


def test_notebook_edits(tmp_path):
    notebook = json.dumps({"cells": [{"id": "c1", "cell_type": "code", "source": ["import pandas\n", "df = 1\n"]}]})
    path = write(tmp_path / "s.jsonl",
                 use("toolu_ins", "NotebookEdit", 0),
                 tool_result("toolu_ins", "Inserted cell c2 with ...", {
                     "new_source": "a = 1\nb = 2\nprint(a + b)", "cell_type": "code", "language": "python",
                     "edit_mode": "insert", "cell_id": "c2", "error": ""}, 0, 1),
                 # 2.1+: the notebook as it was, so only the cell's changed lines count
                 use("toolu_rep", "NotebookEdit", 1),
                 tool_result("toolu_rep", "Updated cell c1 with ...", {
                     "new_source": "import pandas\ndf = 2\nprint(df)", "cell_type": "code", "language": "python",
                     "edit_mode": "replace", "cell_id": "c1", "error": "", "notebook_path": f"{CWD}/a.ipynb",
                     "original_file": notebook, "updated_file": "{}"}, 1, 1),
                 # before 2.1 a replaced cell's old source is not logged: all its lines count
                 use("toolu_old", "NotebookEdit", 2),
                 tool_result("toolu_old", "Updated cell c1 with ...", {
                     "new_source": "x = 1\ny = 2", "cell_type": "code", "language": "python",
                     "edit_mode": "replace", "cell_id": "c1", "error": ""}, 2, 1),
                 use("toolu_del", "NotebookEdit", 3),
                 tool_result("toolu_del", "Deleted cell c2", {"new_source": "", "cell_type": "code",
                                                              "edit_mode": "delete", "cell_id": "c2", "error": ""}, 3, 1),
                 use("toolu_bad", "NotebookEdit", 4),
                 tool_result("toolu_bad", "Cell with ID \"c9\" not found", {
                     "new_source": "x", "cell_type": "code", "language": "python", "edit_mode": "replace",
                     "cell_id": "c9", "error": "Cell with ID \"c9\" not found"}, 4, 1, is_error=True))
    assert sessions(path)[SESSION].lines_of_code == 3 + 2 + 2


def test_commits_are_git_commit_calls_whose_result_shows_git_summary_lines(tmp_path):
    summary = "[main 1a2b3c4] Add checkout page\n 2 files changed, 41 insertions(+)\n create mode 100644 checkout.py"
    lines = [
        *bash("toolu_c1", "git add -A && git commit -m \"$(cat <<'EOF'\nAdd checkout page\nEOF\n)\"", summary, 0),
        # nothing to commit: git exits 1 and prints no summary
        *bash("toolu_c2", "git commit -m again", "On branch main\nnothing to commit, working tree clean", 1, ok=False),
        # the commit was made, the push failed: the result is an error but the commit counts
        *bash("toolu_c3", "git commit -am fix && git push", "[main 5e6f7a8] fix\n 1 file changed\n"
              "error: failed to push some refs to 'origin'", 2, ok=False),
        # not a commit command, although its output shows a summary line
        *bash("toolu_c4", "cat notes.txt", "[main 9999999] copied from somewhere", 3),
    ]
    path = write(tmp_path / "s.jsonl", *lines)
    assert sessions(path)[SESSION].commits == 2


def test_a_commit_whose_result_arrives_in_a_later_run_still_counts(tmp_path):
    use, result = bash("toolu_c1", "git commit -m x", "[main 1a2b3c4] x\n 1 file changed", 0)
    path = write(tmp_path / "s.jsonl", prompt(0), use)
    first = SOURCE.parse(path, None)
    assert first.checkpoint["pending"] == {"toolu_c1": "commit"}
    assert combine([first.checkpoint["sessions"]])[SESSION].commits == 0
    append(path, result, prompt(4))
    second = SOURCE.parse(path, first.checkpoint)
    assert second.checkpoint["pending"] == {}
    totals = combine([second.checkpoint["sessions"]])[SESSION]
    assert (totals.commits, totals.active_seconds) == (1, 240)
    # the same as one read of the whole file
    assert sessions(path)[SESSION] == totals


def test_active_time_counts_every_line_and_idles_over_five_minutes(tmp_path):
    path = write(tmp_path / "s.jsonl",
                 prompt(0), assistant("msg_1", "req_1", at=AT(0, 40)),
                 *edit("toolu_e", ["+x"], 4, 10),            # 3m30s after the response: active
                 prompt(20),                                    # 15m50s later: idle
                 assistant("msg_2", "req_2", at=AT(21, 0)),
                 json.dumps({"type": "summary", "summary": "Checkout", "leafUuid": "x"}),  # no time: not an event
                 prompt(21, 30))
    totals = sessions(path)[SESSION]
    assert totals.active_seconds == 250 + 90
    assert (totals.started, totals.ended) == (1759320000.0, 1759321290.0)


def test_sub_agent_transcripts_and_replays_join_their_session_once(tmp_path):
    projects = tmp_path / "projects" / "-home-dev-src-shop"
    main = write(projects / f"{SESSION}.jsonl",
                 prompt(0), tool_use("msg_1", "toolu_e", "Edit", {"file_path": "a"}, 0, 10),
                 edit_result("toolu_e", ["+a", "+b"], 0, 12), prompt(9))
    # a sub-agent works in the gap (its lines carry the parent's sessionId); a /btw file replays the edit
    agent = write(projects / SESSION / "subagents" / "agent-1a2b3c4d.jsonl",
                  prompt(3, session=SESSION), *edit("toolu_sub", ["+c"], 6, isSidechain=True),
                  *edit("toolu_e", ["+a", "+b"], 8, isSidechain=True))
    totals = sessions(main, agent)[SESSION]
    assert totals.lines_of_code == 3                      # toolu_e once, toolu_sub once
    assert totals.active_seconds == 9 * 60               # 0-0:12, 3:00-6:00-8:00-9:00 joined: one run
    assert sessions(main)[SESSION].active_seconds == 12  # alone, the main file has a 9-minute gap


def test_the_checkpoint_holds_no_text_code_or_paths(tmp_path):
    path = write(tmp_path / "s.jsonl", prompt(0, text="secret plan"),
                 *bash("toolu_c1", "git commit -m 'secret message'", "[main 1a2b3c4] secret message", 0),
                 *edit("toolu_e", ["+secret code"], 1))
    saved = json.dumps({k: v for k, v in SOURCE.parse(path, None).checkpoint.items() if k in ("sessions", "pending")})
    assert "secret" not in saved and CWD not in saved and "app.py" not in saved


def test_event_times_whatever_their_format_and_the_keys_around_them(tmp_path):
    """Lines between responses are read by byte search with guesses (where the session id was, how long
    a time was) that must never change what is read: times of other lengths and offsets, a guessed end
    that falls on a later quote, another session's line and a line without a session."""
    def line(at, session=SESSION, parent="p", **extra):
        fields = {"parentUuid": parent, "isSidechain": False, "cwd": CWD, "sessionId": session, "type": "user",
                  "message": {"role": "user", "content": "go on"}, "timestamp": at, **extra}
        if session is None:
            del fields["sessionId"]
        return json.dumps(fields, separators=(",", ":"))

    path = write(tmp_path / "s.jsonl",
                 prompt(0),                                      # 24-character time, parentUuid null
                 line("2025-10-01T12:01:00Z", k="v"),            # 20 characters: a quote 24 bytes on
                 line(AT(3, 0), session="other"),                # another session's event
                 line(AT(30, 0), session=None),                  # no session: not an event
                 line("2025-10-01T14:05:30+02:00", parent=None),  # 12:05:30 UTC, 25 characters
                 prompt(10), prompt(12), prompt(20))             # 8 minutes later: idle
    totals = sessions(path)
    start = 1759320000.0  # 2025-10-01T12:00:00Z
    # 12:00, 12:01, 12:05:30, 12:10, 12:12 are one run (without 12:01 the gap would be 5.5 minutes)
    assert (totals[SESSION].started, totals[SESSION].ended, totals[SESSION].active_seconds) == (
        start, start + 1200, 720)
    assert (totals["other"].started, totals["other"].active_seconds) == (start + 180, 0)
    assert set(totals) == {SESSION, "other"}


def test_a_tool_call_with_a_name_that_is_not_text_is_no_edit_and_breaks_nothing(tmp_path):
    path = write(tmp_path / "s.jsonl", prompt(0),
                 tool_use("msg_1", "toolu_x", ["Edit"], {"file_path": "a"}, 0, 10),
                 edit_result("toolu_x", ["+a"], 0, 12), *edit("toolu_e", ["+b"], 1))
    result = SOURCE.parse(path, None)
    assert len(result.records) == 2
    assert combine([result.checkpoint["sessions"]])[SESSION].lines_of_code == 1
