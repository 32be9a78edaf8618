"""Codex CLI sessions from rollouts shaped as codex-rs persists them (response_item function_call /
custom_tool_call / local_shell_call and their outputs, in the structured, freeform and unified-exec
output formats): events, active time, lines added by apply_patch, commits by `git commit`."""
from __future__ import annotations

import json

from burntop.client.sessions import combine
from burntop.client.sources.codex import SOURCE
from tests.client.test_source_codex import CHILD, PARENT, Rollout, line, rollout_path

PATCH = ("*** Begin Patch\n*** Add File: checkout.py\n+def pay():\n+    return 1\n*** Update File: app.py\n"
         "@@ def main():\n     setup()\n-    run()\n+    run(checkout=True)\n*** End Patch\n")   # 3 lines added
SUMMARY = "[main 1a2b3c4] Add checkout\n 2 files changed, 3 insertions(+), 1 deletion(-)\n"


def freeform(code: int, output: str) -> str:
    return f"Exit code: {code}\nWall time: 0.4 seconds\nOutput:\n{output}"


def structured(code: int, output: str) -> str:
    return json.dumps({"output": output, "metadata": {"exit_code": code, "duration_seconds": 0.4}})


def unified(code: int, output: str) -> str:
    return f"Chunk ID: 3f2a\nWall time: 0.3120 seconds\nProcess exited with code {code}\nOutput:\n{output}"


class Session(Rollout):
    """A rollout with tool calls: each call and its output a minute apart."""

    def custom(self, call_id: str, name: str, value: str, output: str) -> Session:
        self.lines.append(line("response_item", {"type": "custom_tool_call", "status": "completed",
                                                 "call_id": call_id, "name": name, "input": value}, self.at()))
        self.lines.append(line("response_item", {"type": "custom_tool_call_output", "call_id": call_id,
                                                 "output": output}, self.at()))
        return self

    def function(self, call_id: str, name: str, arguments: dict, output: str | list | None) -> Session:
        self.lines.append(line("response_item", {"type": "function_call", "name": name,
                                                 "arguments": json.dumps(arguments), "call_id": call_id}, self.at()))
        if output is not None:
            self.output(call_id, output)
        return self

    def output(self, call_id: str, output: str | list) -> Session:
        self.lines.append(line("response_item", {"type": "function_call_output", "call_id": call_id,
                                                 "output": output}, self.at()))
        return self


def totals(*paths):
    return combine(SOURCE.parse(p, None).checkpoint["sessions"] for p in paths)


def test_apply_patch_adds_its_plus_lines_once_it_succeeded(tmp_path):
    rollout = (Session().context()
               .custom("call_1", "apply_patch", PATCH, freeform(0, "Success. Updated the following files:\n"
                                                                  "A checkout.py\nM app.py\n"))
               .function("call_2", "apply_patch", {"input": PATCH}, structured(0, "Success. Updated ..."))
               .custom("call_3", "apply_patch", PATCH, "apply_patch verification failed: Failed to find "
                                                        "expected lines in app.py")
               .custom("call_4", "apply_patch", PATCH, freeform(1, "error: patch rejected"))
               # run through a shell: Codex intercepts it as apply_patch
               .function("call_5", "shell", {"command": ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}EOF\n"]},
                         structured(0, "Success. Updated the following files:\nM app.py\n"))
               .custom("call_6", "apply_patch", PATCH, "Success. Updated the following files:\nM app.py\n"))
    found = totals(rollout.write(rollout_path(tmp_path, PARENT)))[PARENT]
    assert found.lines_of_code == 3 * 4  # calls 1, 2, 5 and 6
    assert found.commits == 0


def test_commits_from_every_shell_tool_and_output_format(tmp_path):
    rollout = (Session().context()
               .function("call_1", "shell", {"command": ["bash", "-lc", "git commit -am 'Add checkout'"]},
                         structured(0, SUMMARY))
               .function("call_2", "shell_command", {"command": "git commit -m second", "workdir": "/w"},
                         freeform(0, "[main 2b3c4d5] second\n 1 file changed\n"))
               .function("call_3", "exec_command", {"cmd": "git commit -m third && git push", "yield_time_ms": 1000},
                         unified(1, "[main 3c4d5e6] third\n 1 file changed\nerror: failed to push some refs"))
               .function("call_4", "shell", {"command": ["bash", "-lc", "git commit -m nothing"]},
                         structured(1, "On branch main\nnothing to commit, working tree clean\n"))
               .function("call_5", "shell", {"command": ["bash", "-lc", "git log -1"]}, structured(0, SUMMARY))
               .function("call_6", "shell_command", {"command": "git commit -m items"},
                         [{"type": "input_text", "text": "[main 4d5e6f7] items\n"}]))
    rollout.lines.append(line("response_item", {"type": "local_shell_call", "call_id": "call_7", "status": "completed",
                                                "action": {"type": "exec", "command": ["git", "commit", "-m", "l"]}},
                              rollout.at()))
    rollout.output("call_7", structured(0, "[main 5e6f7a8] l\n"))
    found = totals(rollout.write(rollout_path(tmp_path, PARENT)))[PARENT]
    assert found.commits == 5  # calls 1, 2, 3, 6, 7


def test_a_call_whose_output_comes_in_a_later_run_counts_once(tmp_path):
    rollout = Session().context().function("call_1", "shell", {"command": ["bash", "-lc", "git commit -m x"]}, None)
    path = rollout.write(rollout_path(tmp_path, PARENT))
    first = SOURCE.parse(path, None)
    assert first.checkpoint["calls"] == {"call_1": ["commit", 0]}
    rollout.output("call_1", structured(0, SUMMARY)).custom("call_2", "apply_patch", PATCH, freeform(0, "ok"))
    rollout.write(path)
    second = SOURCE.parse(path, first.checkpoint)
    assert second.checkpoint["calls"] == {}
    found = combine([second.checkpoint["sessions"]])[PARENT]
    assert (found.commits, found.lines_of_code) == (1, 3)
    assert found == totals(path)[PARENT]  # the same as one read of the whole file


def test_active_time_and_a_fork_that_copies_its_parents_calls(tmp_path):
    parent = (Session().context()
              .custom("call_1", "apply_patch", PATCH, freeform(0, "Success."))
              .function("call_2", "shell", {"command": ["git", "commit", "-m", "x"]}, structured(0, SUMMARY)))
    parent_path = parent.write(rollout_path(tmp_path, PARENT))
    # the parent: its session_meta line at 10:02, then a line a minute until 10:07
    assert totals(parent_path)[PARENT].active_seconds == 5 * 60
    child = Session(CHILD, forked_from=PARENT, day=2).copy_of(parent)
    child.custom("call_9", "apply_patch", PATCH, freeform(0, "Success."))
    child_path = child.write(rollout_path(tmp_path, CHILD, day=2))
    both = totals(parent_path, child_path)
    # the fork's copy of call_1 and call_2 counts for the parent, where they were made
    assert (both[PARENT].lines_of_code, both[PARENT].commits) == (3, 1)
    assert (both[CHILD].lines_of_code, both[CHILD].commits) == (3, 0)
    # the copy is stamped with the fork time; the fork's own lines follow a minute apart
    assert both[CHILD].active_seconds == 3 * 60


def test_every_line_is_an_event_of_the_files_own_thread(tmp_path):
    rollout = Session().context().chat()
    rollout.minute += 10          # ten idle minutes
    rollout.chat()
    found = totals(rollout.write(rollout_path(tmp_path, PARENT)))[PARENT]
    assert found.active_seconds == 2 * 60
    assert found.started == 1759312920.0  # 2025-10-01T10:02:00Z, the session_meta line
