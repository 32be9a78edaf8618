"""OpenClaw transcripts: JSONL and the SQLite store, copies across them, own rows, Codex turns, discovery."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from burntop.client.cli import main
from burntop.client.sources.openclaw import SOURCE

SESSION = "3c1d9a70-2b4e-4f5a-8c6d-7e8f9a0b1c2d"
THREAD = "019a0b1c-2d3e-7f40-8a1b-2c3d4e5f6a7b"


def header(session=SESSION, cwd="/home/dev/bot") -> dict:
    return {"type": "session", "version": 3, "id": session, "timestamp": "2026-04-02T08:00:00.000Z", "cwd": cwd}


def assistant(entry_id: str, ms: int, *, provider="anthropic", model="claude-opus-4-6", api="anthropic-messages",
              inp=8, out=512, read=30000, write=2048, key=None) -> dict:
    msg = {"role": "assistant", "content": [{"type": "text", "text": "secret reply"}], "api": api,
           "provider": provider, "model": model, "stopReason": "stop", "timestamp": ms,
           "usage": {"input": inp, "output": out, "cacheRead": read, "cacheWrite": write,
                     "totalTokens": inp + out + read + write,
                     "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0.05}}}
    if key:
        msg["idempotencyKey"] = key
    return {"type": "message", "id": entry_id, "parentId": None, "timestamp": "2026-04-02T08:00:05.000Z", "message": msg}


def user(entry_id: str) -> dict:
    return {"type": "message", "id": entry_id, "parentId": None, "timestamp": "2026-04-02T08:00:01.000Z",
            "message": {"role": "user", "content": "private: book a table", "timestamp": 1775116801000}}


def delivery_mirror(entry_id: str) -> dict:
    entry = assistant(entry_id, 1775116900000, provider="openclaw", model="delivery-mirror",
                      api="openclaw-transcript", inp=0, out=0, read=0, write=0)
    return entry


def write_jsonl(path: Path, entries: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def write_db(path: Path, sessions: dict[str, list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE auth_profile_store (store_key TEXT PRIMARY KEY, store_json TEXT NOT NULL) STRICT;
            INSERT INTO auth_profile_store VALUES ('primary', '{"token": "do-not-read"}');
            CREATE TABLE session_windows (session_id TEXT NOT NULL PRIMARY KEY, session_key TEXT NOT NULL,
              created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
            CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT NOT NULL,
              created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) STRICT;""")
        for session, entries in sessions.items():
            con.execute("INSERT INTO session_windows VALUES (?, ?, 1, 1)", (session, f"agent:main:{session}"))
            # Inserted out of seq order: the reader must order by seq, as OpenClaw's own does.
            for seq in sorted(range(len(entries)), key=lambda i: (i % 2, i)):
                con.execute("INSERT INTO transcript_events VALUES (?, ?, ?, 1775116800000)",
                            (session, seq, json.dumps(entries[seq])))
    return path


def state(home: Path) -> Path:
    return home / ".openclaw" / "agents" / "main"


def test_jsonl_transcript_skips_own_rows_and_codex_mirrors(tmp_path):
    mirror = assistant("m1", 1775117000000, provider="openai-codex", model="gpt-5.4", inp=100, out=10, read=0,
                       write=0, key=f"codex-app-server:{THREAD}:turn-7")
    path = write_jsonl(state(tmp_path) / "sessions" / f"{SESSION}.jsonl",
                       [header(), user("u1"), assistant("a1", 1775116805000), delivery_mirror("d1"), mirror])
    result = SOURCE.parse(path, None)
    (record,) = result.records
    assert record.source == "openclaw" and record.request_id.startswith("openclaw:1775116805000:")
    assert (record.input_tokens, record.output_tokens, record.cache_read_tokens, record.cache_creation_tokens) == (8, 512, 30000, 2048)
    assert (record.session_id, record.project, record.logged_cost) == (SESSION, "/home/dev/bot", 0.05)
    assert record.timestamp == datetime(2026, 4, 2, 8, 0, 5, tzinfo=timezone.utc)
    assert (result.skipped["transcript-only row"], result.skipped["codex mirror"]) == (1, 1)
    assert "private" not in repr(result.records) and "secret" not in repr(result.records)


def test_sqlite_store_and_migrated_jsonl_count_each_response_once(tmp_path):
    entries = [header(), user("u1"), assistant("a1", 1775116805000),
               {"type": "model_change", "id": "mc1", "parentId": None, "timestamp": "2026-04-02T08:01:00.000Z",
                "provider": "openai", "modelId": "gpt-5.4"},
               assistant("a2", 1775116870000, provider="", model="", inp=700, out=90, read=0, write=0)]
    other = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
    db = write_db(state(tmp_path) / "agent" / "openclaw-agent.sqlite",
                  {SESSION: entries, other: [assistant("b1", 1775120000000, out=3, read=0, write=0, inp=1)]})
    # `openclaw doctor` imported the legacy file and moved it aside; the entries are in SQLite too.
    archived = write_jsonl(state(tmp_path) / "session-sqlite-import-archive" /
                           f"agent-main.{SESSION}.jsonl.imported-2026-04-03T00-00-00Z", entries[:3])
    from_db = SOURCE.parse(db, None)
    assert [(r.session_id, r.model, r.output_tokens) for r in from_db.records] == [
        (SESSION, "claude-opus-4-6", 512), (SESSION, "gpt-5.4", 90), (other, "claude-opus-4-6", 3)]
    assert from_db.records[1].provider == "openai" and from_db.records[0].project == "/home/dev/bot"
    merged = SOURCE.merge(from_db.records + SOURCE.parse(archived, None).records)
    assert sorted(r.output_tokens for r in merged) == [3, 90, 512]
    # Unchanged database: nothing re-read; the credential table is never touched (read-only open).
    assert SOURCE.parse(db, from_db.checkpoint).records == []


def test_database_without_transcripts_and_unreadable_database(tmp_path):
    empty = state(tmp_path) / "agent" / "openclaw-agent.sqlite"
    empty.parent.mkdir(parents=True)
    sqlite3.connect(empty).close()
    result = SOURCE.parse(empty, None)
    assert result.records == [] and result.checkpoint
    broken = tmp_path / "x" / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a database at all" * 100)
    assert SOURCE.parse(broken, None).skipped["unreadable database"] == 1


def test_codex_app_server_rollouts_in_the_agent_home_count_as_openclaw(tmp_path):
    rollout = state(tmp_path) / "agent" / "codex-home" / "sessions" / "2026" / "04" / "02" / f"rollout-2026-04-02T08-00-00-{THREAD}.jsonl"
    rollout.parent.mkdir(parents=True)
    usage = {"input_tokens": 5000, "cached_input_tokens": 4000, "output_tokens": 300,
             "reasoning_output_tokens": 120, "total_tokens": 5300}
    lines = [{"timestamp": "2026-04-02T08:00:00.000Z", "type": "session_meta",
              "payload": {"id": THREAD, "cwd": "/home/dev/bot", "model_provider": "openai"}},
             {"timestamp": "2026-04-02T08:00:01.000Z", "type": "turn_context", "payload": {"model": "gpt-5.4", "cwd": "/home/dev/bot"}},
             {"timestamp": "2026-04-02T08:00:09.000Z", "type": "event_msg",
              "payload": {"type": "token_count", "info": {"total_token_usage": usage, "last_token_usage": usage}}}]
    rollout.write_text("".join(json.dumps(item) + "\n" for item in lines))
    (record,) = SOURCE.parse(rollout, None).records
    assert record.source == "openclaw" and record.request_id == f"openclaw:{THREAD}:5300:5000-4000-0-300-120"
    assert (record.input_tokens, record.cache_read_tokens, record.output_tokens, record.reasoning_tokens) == (1000, 4000, 300, 120)


def test_discovery_state_dir_overrides_legacy_names_and_archives(tmp_path):
    home = tmp_path / "home"
    live = write_jsonl(state(home) / "sessions" / f"{SESSION}.jsonl", [header()])
    deleted = write_jsonl(state(home) / "sessions" / f"{SESSION}.jsonl.deleted.1775200000000", [header()])
    (state(home) / "sessions" / "old.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd")
    (state(home) / "sessions" / "sessions.json").write_text("{}")
    legacy = write_jsonl(home / ".clawdbot" / "agents" / "main" / "sessions" / "s.jsonl", [header()])
    db = write_db(state(home) / "agent" / "openclaw-agent.sqlite", {})
    assert SOURCE.discover({}, home) == sorted([live, deleted, legacy, db])
    custom = write_jsonl(tmp_path / "oc-state" / "agents" / "work" / "sessions" / "s.jsonl", [header()])
    assert SOURCE.discover({"OPENCLAW_STATE_DIR": str(tmp_path / "oc-state")}, home) == [custom]
    assert SOURCE.discover({"CLAWDBOT_STATE_DIR": str(tmp_path / "oc-state")}, home) == [custom]
    moved = write_jsonl(tmp_path / "other-home" / ".openclaw" / "agents" / "main" / "sessions" / "t.jsonl", [header()])
    assert SOURCE.discover({"OPENCLAW_HOME": str(tmp_path / "other-home")}, home) == [moved]


def test_rows_only_in_the_write_ahead_log_reach_stats(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("OPENCLAW_STATE_DIR", "CLAWDBOT_STATE_DIR", "OPENCLAW_HOME"):
        monkeypatch.delenv(name, raising=False)
    db = write_db(state(home) / "agent" / "openclaw-agent.sqlite", {SESSION: [header(), assistant("a1", 1775116805000)]})

    def records() -> int:
        result = CliRunner().invoke(main, ["stats", "--json", "--source", "openclaw"], catch_exceptions=False)
        return json.loads(result.output)["totals"]["records"]

    gateway = sqlite3.connect(db)  # OpenClaw's gateway holds the database open in WAL mode
    gateway.execute("PRAGMA journal_mode=WAL")
    gateway.execute("PRAGMA wal_autocheckpoint=0")
    assert records() == 1
    main_file = db.read_bytes()
    gateway.execute("INSERT INTO transcript_events VALUES (?, 9, ?, 1)",
                    (SESSION, json.dumps(assistant("a2", 1775116900000, out=5))))
    gateway.commit()
    assert db.read_bytes() == main_file  # only the -wal file changed
    try:
        assert records() == 2
    finally:
        gateway.close()
