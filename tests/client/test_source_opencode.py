"""OpenCode: step-finish parts in the JSON store and the SQLite database, token semantics, discovery."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.opencode import SOURCE, split_tokens

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
    con.execute("INSERT OR IGNORE INTO session VALUES ('ses_1', '/work/app')")
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
    assert SOURCE.parse(paths[0], None).records == []
    result = SOURCE.parse(paths[1], None)
    assert [r.request_id for r in result.records] == ["opencode:prt_a", "opencode:prt_c"]
    first = result.records[0]
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens, first.cache_creation_tokens) == (10, 200, 5000, 300)
    assert first.logged_cost == 0.01 and result.records[1].logged_cost == 0.02
    assert first.timestamp == datetime(2025, 10, 9, 8, 53, 20, tzinfo=timezone.utc)
    assert (first.model, first.provider, first.session_id, first.project) == ("claude-sonnet-4-5", "anthropic", "ses_1", "/work/app")
    assert "private" not in repr(result.records)


def test_message_without_steps_counts_as_one_response(tmp_path):
    paths = json_store(tmp_path, [message("msg_1", tok(100, 50, 0, 1000, 0)), message("msg_2")], [])
    rec = SOURCE.parse(paths[0], None).records[0]
    assert rec.request_id == "opencode:msg_1" and rec.logged_cost == 0.03
    empty = SOURCE.parse(paths[1], None)
    assert empty.records == [] and empty.skipped["no usage"] == 1


def test_reasoning_and_cache_conventions_follow_the_total():
    # AI SDK v6: output excludes reasoning, total = input + cache + output + reasoning
    assert split_tokens(tok(100, 40, 60, 1000, 0, total=1200), "openai", "gpt-5")["output_tokens"] == 100
    # AI SDK v5 OpenAI: output includes reasoning, total = input + cache + output
    v5 = split_tokens(tok(100, 100, 60, 1000, 0, total=1200), "openai", "gpt-5")
    assert (v5["output_tokens"], v5["reasoning_tokens"]) == (100, 60)
    # early versions kept the provider's cache-inclusive input: total == input + output
    early = split_tokens(tok(1100, 100, 0, 1000, 0, total=1200), "openrouter", "x")
    assert (early["input_tokens"], early["cache_read_tokens"]) == (100, 1000)
    # no total: Google providers kept thoughts apart, the others inside output
    assert split_tokens(tok(10, 20, 5), "google", "gemini-2.5-pro")["output_tokens"] == 25
    assert split_tokens(tok(10, 20, 5), "openai", "o3")["output_tokens"] == 20
    assert split_tokens(tok(10, 2, 5), "openai", "o3")["output_tokens"] == 7
    assert split_tokens(tok(0, 0), "openai", "o3") is None and split_tokens(None, "", "") is None


def test_sqlite_and_json_stores_give_the_same_records(tmp_path):
    msgs = [message("msg_0", role="user"), message("msg_1", STEP2), message("msg_2", tok(7, 8))]
    parts = [step("prt_a", "msg_1", STEP1), TEXT, step("prt_c", "msg_1", STEP2)]
    db = tmp_path / "opencode.db"
    database(db, msgs, parts)
    from_db = SOURCE.parse(db, None)
    from_json = [r for p in json_store(tmp_path / "j", msgs, parts) for r in SOURCE.parse(p, None).records]
    key = lambda r: (r.request_id, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.timestamp, r.model)  # noqa: E731
    assert sorted(map(key, from_db.records)) == sorted(map(key, from_json))
    assert {r.request_id for r in from_db.records} == {"opencode:prt_a", "opencode:prt_c", "opencode:msg_2"}
    assert len(SOURCE.merge(from_db.records + from_json)) == 3


def test_sqlite_incremental_reads_only_newer_rows(tmp_path):
    db = tmp_path / "opencode.db"
    database(db, [message("msg_0", STEP1)], [step("prt_0", "msg_0", STEP1)], updated=CREATED - 60_000)
    database(db, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    first = SOURCE.parse(db, None)
    assert len(first.records) == 2
    unchanged = SOURCE.parse(db, first.checkpoint)
    assert unchanged.records == [] and unchanged.checkpoint == first.checkpoint
    database(db, [message("msg_2", STEP2)], [step("prt_b", "msg_2", STEP2)], updated=CREATED + 60_000)
    second = SOURCE.parse(db, first.checkpoint)
    # rows of the last millisecond seen are read again (a row committed in that same millisecond
    # after the previous read must not be missed); the server dedupes them by request id
    assert [r.request_id for r in second.records] == ["opencode:prt_a", "opencode:prt_b"]
    assert second.checkpoint["updated"] == CREATED + 60_000
    assert len(SOURCE.parse(db, None).records) == 3


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
    assert [r.request_id for r in result.records] == ["opencode:prt_a"]
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
    assert [r.request_id for r in again.records] == ["opencode:prt_a", "opencode:prt_b"]


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
    assert "opencode:prt_b" in {r.request_id for r in second.records}
