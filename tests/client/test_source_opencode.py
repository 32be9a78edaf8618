"""OpenCode: step-finish parts in the JSON store and the SQLite database, token semantics, discovery."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.opencode import SOURCE, fingerprint, split_tokens

CREATED = 1760000000000  # 2025-10-09T08:53:20Z


def message(mid: str, tokens: dict | None = None, role: str = "assistant", cost: float = 0.03, **extra) -> dict:
    msg = {"id": mid, "sessionID": "ses_1", "role": role, "time": {"created": CREATED, "completed": CREATED + 5000}}
    if role == "assistant":
        msg.update(modelID="claude-sonnet-4-5", providerID="anthropic", cost=cost,
                   path={"cwd": "/work/app/src", "root": "/work/app"},
                   tokens=tokens or {"input": 0, "output": 0, "reasoning": 0, "cache": {"read": 0, "write": 0}})
    msg.update(extra)
    return msg


def step(pid: str, mid: str, tokens: dict, cost: float = 0.01) -> dict:
    return {"id": pid, "sessionID": "ses_1", "messageID": mid, "type": "step-finish", "reason": "tool-calls",
            "snapshot": "abc", "cost": cost, "tokens": tokens}


def tok(inp: int, out: int, rea: int = 0, read: int = 0, write: int = 0, total: int | None = None) -> dict:
    tokens = {"input": inp, "output": out, "reasoning": rea, "cache": {"read": read, "write": write}}
    if total is not None:
        tokens["total"] = total
    return tokens


STEP1, STEP2 = tok(10, 200, 0, 5000, 300), tok(20, 150, 0, 5300, 100)
TEXT = {"id": "prt_b", "messageID": "msg_1", "sessionID": "ses_1", "type": "text", "text": "private code"}


def json_store(root: Path, msgs: list[dict], parts: list[dict]) -> list[Path]:
    store = root / "storage"
    paths = []
    for msg in msgs:
        path = store / "message" / msg["sessionID"] / f"{msg['id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(msg))
        paths.append(path)
    for part in parts:
        path = store / "part" / part["messageID"] / f"{part['id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(part))
    return paths


def tokens_of(records) -> list[tuple]:
    return [(r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_creation_tokens) for r in records]


def database(path: Path, msgs: list[dict], parts: list[dict], updated: int = CREATED) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, directory TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
            time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
            time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
    """)
    for session in {m["sessionID"] for m in msgs} | {"ses_1"}:
        con.execute("INSERT OR IGNORE INTO session VALUES (?, '/work/app')", (session,))
    for msg in msgs:
        data = {k: v for k, v in msg.items() if k not in ("id", "sessionID")}
        con.execute("INSERT OR REPLACE INTO message VALUES (?, ?, ?, ?, ?)",
                    (msg["id"], msg["sessionID"], CREATED, updated, json.dumps(data)))
    for part in parts:
        data = {k: v for k, v in part.items() if k not in ("id", "sessionID", "messageID")}
        con.execute("INSERT OR REPLACE INTO part VALUES (?, ?, ?, ?, ?, ?)",
                    (part["id"], part["messageID"], part["sessionID"], CREATED, updated, json.dumps(data)))
    con.commit()
    con.close()


def test_each_step_finish_part_is_one_response(tmp_path):
    # the message keeps only the last step's tokens (and the summed cost): steps are the truth
    msgs = [message("msg_0", role="user"), message("msg_1", STEP2)]
    parts = [step("prt_a", "msg_1", STEP1), TEXT, step("prt_c", "msg_1", STEP2, cost=0.02)]
    paths = json_store(tmp_path, msgs, parts)
    user = SOURCE.parse(paths[0], None)
    assert user.records == [] and user.skipped == {"not an assistant message": 1}
    result = SOURCE.parse(paths[1], None)
    assert tokens_of(result.records) == [(10, 200, 5000, 300), (20, 150, 5300, 100)]
    assert len({r.request_id for r in result.records}) == 2 and result.seen == 2
    first = result.records[0]
    assert first.logged_cost == 0.01 and result.records[1].logged_cost == 0.02
    assert first.timestamp == datetime(2025, 10, 9, 8, 53, 20, tzinfo=timezone.utc)
    assert (first.model, first.provider, first.session_id, first.project) == ("claude-sonnet-4-5", "anthropic", "ses_1", "/work/app")
    assert "private" not in repr(result.records)


def test_message_without_steps_counts_as_one_response(tmp_path):
    paths = json_store(tmp_path, [message("msg_1", tok(100, 50, 0, 1000, 0)), message("msg_2")], [])
    rec = SOURCE.parse(paths[0], None).records[0]
    assert (rec.input_tokens, rec.output_tokens, rec.logged_cost) == (100, 50, 0.03)
    empty = SOURCE.parse(paths[1], None)
    assert empty.records == [] and empty.skipped["no usage"] == 1


def test_the_request_id_is_a_content_fingerprint_that_never_changes():
    # pinned: a changed id would make the server count every OpenCode response again. It is
    # blake2b(b'[1760000000000,"claude-sonnet-4-5","anthropic",{"cache":{"read":5000,"write":300},"input":10,
    # "output":200,"reasoning":0},0.01,0]', digest_size=12)
    msg = message("msg_1", STEP2)
    assert fingerprint(msg, step("prt_a", "msg_1", STEP1), 0) == "5150d1b0d72a84cd69fe8934"
    # the ids themselves are not part of it; position, tokens, cost, time and model are
    assert fingerprint(msg, step("prt_other", "msg_9", STEP1), 0) == fingerprint(msg, step("prt_a", "msg_1", STEP1), 0)
    variants = {fingerprint(msg, step("p", "m", STEP1), 1), fingerprint(msg, step("p", "m", STEP2), 0),
                fingerprint(msg, step("p", "m", STEP1, cost=0.02), 0),
                fingerprint({**msg, "time": {"created": CREATED + 1}}, step("p", "m", STEP1), 0),
                fingerprint({**msg, "modelID": "claude-opus-4-1"}, step("p", "m", STEP1), 0),
                fingerprint({**msg, "providerID": "openrouter"}, step("p", "m", STEP1), 0)}
    assert len(variants) == 6 and fingerprint(msg, step("p", "m", STEP1), 0) not in variants


def fork(msgs: list[dict], parts: list[dict], session: str, suffix: str) -> tuple[list[dict], list[dict]]:
    """What Session.fork writes: every message and part again with new ids in a new session, the
    rest (time, model, provider, tokens, cost) unchanged."""
    ids = {m["id"]: m["id"] + suffix for m in msgs}
    copies = [{**m, "id": ids[m["id"]], "sessionID": session} for m in msgs]
    part_copies = [{**p, "id": p["id"] + suffix, "messageID": ids[p["messageID"]], "sessionID": session}
                   for p in parts]
    return copies, part_copies


def test_a_forked_sessions_copied_history_counts_once_in_the_database(tmp_path):
    msgs = [message("msg_0", role="user"), message("msg_1", STEP2), message("msg_2", tok(7, 8))]
    parts = [step("prt_a", "msg_1", STEP1), TEXT, step("prt_c", "msg_1", STEP2)]
    copies, part_copies = fork(msgs, parts, "ses_fork", "_f")
    new_step = step("prt_n_f", "msg_3_f", tok(1, 2), cost=0.5)
    db = tmp_path / "opencode.db"
    database(db, msgs + copies + [message("msg_3_f", tok(1, 2), sessionID="ses_fork")], parts + part_copies + [new_step])
    result = SOURCE.parse(db, None)
    assert sorted(tokens_of(result.records)) == [(1, 2, 0, 0), (7, 8, 0, 0), (10, 200, 5000, 300), (20, 150, 5300, 100)]
    assert result.folded == {"same content fingerprint (a forked session's copy of a message)": 3}
    assert result.seen == 7  # 5 step-finish rows + 2 messages without steps (one of them a copy)


def test_a_fork_read_in_a_later_run_gets_the_ids_already_sent(tmp_path):
    msgs = [message("msg_1", STEP2)]
    parts = [step("prt_a", "msg_1", STEP1), step("prt_c", "msg_1", STEP2)]
    db = tmp_path / "opencode.db"
    database(db, msgs, parts)
    first = SOURCE.parse(db, None)
    copies, part_copies = fork(msgs, parts, "ses_fork", "_f")
    database(db, copies, part_copies, updated=CREATED + 60_000)
    later = SOURCE.parse(db, first.checkpoint)   # only the fork's rows are new
    assert {r.request_id for r in later.records} == {r.request_id for r in first.records}
    assert len(first.records) == 2


def test_forks_in_the_json_store_merge_across_files(tmp_path):
    msgs = [message("msg_1", STEP2)]
    parts = [step("prt_a", "msg_1", STEP1), step("prt_c", "msg_1", STEP2)]
    copies, part_copies = fork(msgs, parts, "ses_fork", "_f")
    paths = json_store(tmp_path, msgs + copies, parts + part_copies)
    records = [r for p in paths for r in SOURCE.parse(p, None).records]
    assert len(records) == 4
    merged = SOURCE.merge(records)
    assert sorted(tokens_of(merged)) == [(10, 200, 5000, 300), (20, 150, 5300, 100)]


def test_identical_steps_in_one_message_are_not_folded(tmp_path):
    parts = [step("prt_a", "msg_1", STEP1), step("prt_b", "msg_1", STEP1)]  # a tool loop repeating itself
    db = tmp_path / "opencode.db"
    database(db, [message("msg_1", STEP1)], parts)
    assert len(SOURCE.parse(db, None).records) == 2


def test_reasoning_and_cache_conventions_follow_the_total():
    # AI SDK v6: output excludes reasoning, total = input + cache + output + reasoning
    assert split_tokens(tok(100, 40, 60, 1000, 0, total=1200), "openai", "gpt-5")["output_tokens"] == 100
    # AI SDK v5 OpenAI: output includes reasoning, total = input + cache + output
    v5 = split_tokens(tok(100, 100, 60, 1000, 0, total=1200), "openai", "gpt-5")
    assert (v5["output_tokens"], v5["reasoning_tokens"]) == (100, 60)
    # early versions kept the provider's cache-inclusive input: total == input + output
    early = split_tokens(tok(1100, 100, 0, 1000, 0, total=1200), "openrouter", "x")
    assert (early["input_tokens"], early["cache_read_tokens"]) == (100, 1000)
    assert split_tokens(tok(0, 0), "openai", "o3") is None and split_tokens(None, "", "") is None


def test_rows_without_total_are_read_by_the_ai_sdk_v5_rule():
    # outputTokens held the reasoning: OpenAI, Anthropic, OpenRouter (Gemini models included)
    for provider, model in (("openai", "o3"), ("anthropic", "claude-sonnet-4-5"),
                            ("openrouter", "google/gemini-2.5-pro"), ("github-copilot", "gemini-2.5-pro"),
                            ("google-vertex-anthropic", "claude-opus-4-1")):
        fields = split_tokens(tok(10, 20, 5), provider, model)
        assert (fields["output_tokens"], fields["reasoning_tokens"]) == (20, 5), provider
    # Google's own adapter reported candidatesTokenCount, thoughts apart
    for provider in ("google", "google-vertex"):
        fields = split_tokens(tok(10, 20, 5), provider, "gemini-2.5-pro")
        assert (fields["output_tokens"], fields["reasoning_tokens"]) == (25, 5), provider
    # reasoning larger than the output cannot be a part of it
    assert split_tokens(tok(10, 2, 5), "openai", "o3")["output_tokens"] == 7


def test_sqlite_and_json_stores_give_the_same_records(tmp_path):
    msgs = [message("msg_0", role="user"), message("msg_1", STEP2), message("msg_2", tok(7, 8))]
    parts = [step("prt_a", "msg_1", STEP1), TEXT, step("prt_c", "msg_1", STEP2)]
    db = tmp_path / "opencode.db"
    database(db, msgs, parts)
    from_db = SOURCE.parse(db, None)
    from_json = [r for p in json_store(tmp_path / "j", msgs, parts) for r in SOURCE.parse(p, None).records]
    key = lambda r: (r.request_id, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.timestamp, r.model)  # noqa: E731
    assert sorted(map(key, from_db.records)) == sorted(map(key, from_json))
    assert len(from_db.records) == 3
    assert len(SOURCE.merge(from_db.records + from_json)) == 3


def test_sqlite_incremental_reads_only_newer_rows(tmp_path):
    db = tmp_path / "opencode.db"
    database(db, [message("msg_0", STEP1)], [step("prt_0", "msg_0", STEP1)], updated=CREATED - 60_000)
    database(db, [message("msg_1", STEP2)], [step("prt_a", "msg_1", STEP2)])
    first = SOURCE.parse(db, None)
    assert len(first.records) == 2
    unchanged = SOURCE.parse(db, first.checkpoint)
    assert unchanged.records == [] and unchanged.checkpoint == first.checkpoint
    later = {**message("msg_2", STEP2), "time": {"created": CREATED + 60_000}}
    database(db, [later], [step("prt_b", "msg_2", tok(3, 4))], updated=CREATED + 60_000)
    second = SOURCE.parse(db, first.checkpoint)
    # rows of the last millisecond seen are read again (a row committed in that same millisecond
    # after the previous read must not be missed); the server dedupes them by request id
    assert sorted(tokens_of(second.records)) == [(3, 4, 0, 0), (20, 150, 5300, 100)]
    assert second.checkpoint["updated"] == CREATED + 60_000
    assert len(SOURCE.parse(db, None).records) == 3


def test_a_later_step_keeps_its_position_when_read_alone(tmp_path):
    db = tmp_path / "opencode.db"
    database(db, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    first = SOURCE.parse(db, None)
    database(db, [message("msg_1", STEP1)], [step("prt_b", "msg_1", STEP1)], updated=CREATED + 1000)
    second = SOURCE.parse(db, first.checkpoint)
    everything = SOURCE.parse(db, None)
    assert len({r.request_id for r in first.records + second.records}) == 2
    assert {r.request_id for r in first.records + second.records} == {r.request_id for r in everything.records}


def test_sqlite_is_opened_read_only(tmp_path):
    db = tmp_path / "opencode.db"
    database(db, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    before = db.read_bytes()
    SOURCE.parse(db, None)
    assert db.read_bytes() == before


def test_bad_databases_and_files_never_raise(tmp_path):
    junk = tmp_path / "opencode.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert SOURCE.parse(junk, None).skipped["unreadable database"] == 1
    other = tmp_path / "opencode-dev.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    assert SOURCE.parse(other, None).skipped["unknown format"] == 1
    db = tmp_path / "good" / "opencode.db"
    database(db, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1), step("prt_z", "msg_gone", STEP1)])
    con = sqlite3.connect(db)
    con.execute("INSERT INTO part VALUES ('prt_m', 'msg_1', 'ses_1', 1, 1, '{\"type\": \"step-finish\", broken')")
    con.commit()
    con.close()
    result = SOURCE.parse(db, None)
    assert tokens_of(result.records) == [(10, 200, 5000, 300)]
    assert result.skipped["part without message"] == 1
    folder = tmp_path / "storage" / "message" / "ses_1"
    folder.mkdir(parents=True)
    (folder / "msg_x.json").write_text('{"id": "msg_x", "role": "assis')
    assert SOURCE.parse(folder / "msg_x.json", None).skipped["malformed file"] == 1
    assert SOURCE.parse(folder / "gone.json", None).skipped["unreadable file"] == 1


def test_json_message_is_reread_only_when_changed(tmp_path):
    path = json_store(tmp_path, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])[0]
    first = SOURCE.parse(path, None)
    assert SOURCE.parse(path, first.checkpoint).records == []
    json_store(tmp_path, [message("msg_1", STEP2, cost=0.05)], [step("prt_b", "msg_1", STEP2)])
    again = SOURCE.parse(path, first.checkpoint)
    assert tokens_of(again.records) == [(10, 200, 5000, 300), (20, 150, 5300, 100)]
    assert again.records[0].request_id == first.records[0].request_id


def test_discovery_with_xdg_and_opencode_db(tmp_path):
    home = tmp_path / "home"
    default = home / ".local" / "share" / "opencode"
    xdg = tmp_path / "xdg" / "opencode"
    database(default / "opencode.db", [], [])
    database(xdg / "opencode-beta.db", [], [])
    database(tmp_path / "elsewhere.db", [], [])
    (default / "opencode.db-wal").write_bytes(b"")
    paths = json_store(default, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    found = SOURCE.discover({"XDG_DATA_HOME": str(tmp_path / "xdg"), "OPENCODE_DB": str(tmp_path / "elsewhere.db")}, home)
    assert set(found) == {default / "opencode.db", xdg / "opencode-beta.db", tmp_path / "elsewhere.db", paths[0]}
    assert SOURCE.discover({}, tmp_path / "nobody") == []


def test_rows_still_in_the_write_ahead_log_are_seen(tmp_path):
    db = tmp_path / "opencode.db"
    database(db, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep the new rows in opencode.db-wal, as OpenCode does
    first = SOURCE.parse(db, None)
    main_file = db.read_bytes()
    data = json.dumps({k: v for k, v in step("prt_b", "msg_1", STEP2).items() if k not in ("id", "sessionID", "messageID")})
    writer.execute("INSERT INTO part VALUES ('prt_b', 'msg_1', 'ses_1', ?, ?, ?)", (CREATED + 1, CREATED + 1, data))
    writer.commit()
    assert db.read_bytes() == main_file  # only the -wal file changed
    second = SOURCE.parse(db, first.checkpoint)
    writer.close()
    assert (20, 150, 5300, 100) in tokens_of(second.records)
