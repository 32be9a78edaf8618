"""Cursor: token counts of chat bubbles in globalStorage/state.vscdb (cursorDiskKV)."""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources import cursor

COMPOSER = "98251e54-8aed-4515-b2b4-08895453eedd"


def bubble(bubble_id: str, kind: int = 2, tokens=(0, 0), **extra) -> dict:
    """A bubble value shaped like Cursor's (_v 3), with text that must never be read."""
    return {"_v": 3, "type": kind, "bubbleId": bubble_id, "text": "SECRET CODE", "richText": "{}",
            "tokenCount": {"inputTokens": tokens[0], "outputTokens": tokens[1]}, "codeBlocks": [],
            "requestId": "req-1", **extra}


def make_db(path: Path, rows: dict, wal: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode=wal")
        conn.execute("CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        conn.execute("CREATE TABLE IF NOT EXISTS cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        conn.execute("INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', 'TOKEN-CANARY')")
        for key, value in rows.items():
            stored = value if isinstance(value, (bytes, str)) or value is None else json.dumps(value)
            conn.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (key, stored))
        conn.commit()
    return path


def global_db(home: Path) -> Path:
    return home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"


def standard_rows() -> dict:
    return {
        f"composerData:{COMPOSER}": {"_v": 10, "composerId": COMPOSER, "createdAt": 1766691308486,
                                     "lastUpdatedAt": 1766692125731,
                                     "modelConfig": {"modelName": "claude-4.5-sonnet-thinking", "maxMode": False}},
        f"bubbleId:{COMPOSER}:u1": bubble("u1", 1, createdAt="2025-12-25T19:35:08.000Z",
                                          modelInfo={"modelName": "gpt-5"}),
        f"bubbleId:{COMPOSER}:a1": bubble("a1", 2, (0, 0), createdAt="2025-12-25T19:35:10.000Z"),
        f"bubbleId:{COMPOSER}:a2": bubble("a2", 2, (48210, 1533), createdAt="2025-12-25T20:35:20.000+01:00",
                                          modelInfo={"modelName": "gpt-5"}),
        # before Oct 2025 bubbles had no createdAt: fall back to the client timing, then the chat
        f"bubbleId:{COMPOSER}:a3": bubble("a3", 2, (1000, 20), modelInfo={"modelName": "default"},
                                          timingInfo={"clientStartTime": 4745281.3,
                                                      "clientRpcSendTime": 1766691321759,
                                                      "clientEndTime": 1766691395467}),
        f"bubbleId:{COMPOSER}:a4": bubble("a4", 2, (500, 5)),
        "bubbleId:orphan-chat:a5": bubble("a5", 2, (7, 3), createdAt="2025-12-26T00:00:00Z"),
        f"bubbleId:{COMPOSER}:bad": "{not json",
        f"bubbleId:{COMPOSER}:blob": json.dumps(bubble("blob", 2, (11, 2), createdAt="2025-12-26T01:00:00Z",
                                                       modelInfo={"modelName": "claude-4-opus"})).encode(),
        "checkpointId:abc": {"irrelevant": True},
    }


def test_only_token_bearing_bubbles_count(tmp_path):
    db = make_db(global_db(tmp_path), standard_rows())
    result = cursor.parse(db, None)
    by_id = {r.request_id: r for r in result.records}
    assert sorted(by_id) == ["cursor:a2", "cursor:a3", "cursor:a4", "cursor:a5", "cursor:blob"]
    a2 = by_id["cursor:a2"]
    assert a2.timestamp == datetime(2025, 12, 25, 19, 35, 20, tzinfo=timezone.utc)
    assert (a2.model, a2.model_estimated, a2.input_tokens, a2.output_tokens) == ("gpt-5", False, 48210, 1533)
    assert (a2.cache_read_tokens, a2.cache_creation_tokens, a2.logged_cost, a2.session_id) == (0, 0, None, COMPOSER)
    a3 = by_id["cursor:a3"]
    assert a3.timestamp == datetime.fromtimestamp(1766691395.467, timezone.utc)
    assert (a3.model, a3.model_estimated) == ("claude-4.5-sonnet-thinking", True)
    assert by_id["cursor:a4"].timestamp == datetime.fromtimestamp(1766692125.731, timezone.utc)
    assert (by_id["cursor:a5"].model, by_id["cursor:a5"].model_estimated) == ("cursor-auto", True)
    assert by_id["cursor:blob"].model == "claude-4-opus"
    assert result.skipped == {"malformed row": 1}
    assert not any("SECRET" in repr(r) or "TOKEN-CANARY" in repr(r) for r in result.records)


def test_missing_time_and_odd_keys_are_skipped(tmp_path):
    db = make_db(global_db(tmp_path), {"bubbleId:c:x": bubble("x", 2, (5, 5)), "bubbleId:": bubble("y", 2, (1, 1))})
    result = cursor.parse(db, None)
    assert result.records == [] and result.skipped == {"no timestamp": 1, "unknown format": 1}


def test_projects_come_from_workspace_storage(tmp_path):
    db = make_db(global_db(tmp_path), standard_rows())
    workspace = db.parent.parent / "workspaceStorage" / "66b4e47d8cd79622d5b1b18f44882398"
    workspace.mkdir(parents=True)
    (workspace / "workspace.json").write_text(json.dumps({"folder": "file:///home/me/my%20project"}))
    ws_db = workspace / "state.vscdb"
    with closing(sqlite3.connect(ws_db)) as conn:
        conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        conn.execute("INSERT INTO ItemTable VALUES ('composer.composerData', ?)",
                     (json.dumps({"allComposers": [{"composerId": COMPOSER, "name": "PR10 understanding"}]}),))
        conn.commit()
    broken = db.parent.parent / "workspaceStorage" / "broken"
    broken.mkdir()
    (broken / "workspace.json").write_text("{")
    records = {r.request_id: r for r in cursor.parse(db, None).records}
    assert records["cursor:a2"].project == "/home/me/my project"
    assert records["cursor:a5"].project is None
    assert cursor.folder_path("file:///c%3A/Users/me/app") == "c:/Users/me/app"
    assert cursor.folder_path("vscode-remote://wsl+Ubuntu/home/me") == "vscode-remote://wsl+Ubuntu/home/me"


def test_checkpoint_rereads_only_a_changed_database_with_stable_ids(tmp_path):
    db = make_db(global_db(tmp_path), standard_rows())
    first = cursor.parse(db, None)
    assert cursor.parse(db, first.checkpoint).records == []
    make_db(db, {f"bubbleId:{COMPOSER}:a9": bubble("a9", 2, (3, 4), createdAt="2025-12-27T00:00:00Z")})
    os.utime(db, ns=(1, db.stat().st_mtime_ns + 10))
    again = cursor.parse(db, first.checkpoint)
    assert {r.request_id for r in again.records} == {r.request_id for r in first.records} | {"cursor:a9"}
    assert [r.request_id for r in cursor.parse(db, None).records] == [r.request_id for r in again.records]


def test_reads_without_locking_and_sees_wal_changes_once_checkpointed(tmp_path):
    db = make_db(global_db(tmp_path), standard_rows(), wal=True)
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO cursorDiskKV VALUES (?, ?)",
                   (f"bubbleId:{COMPOSER}:w1", json.dumps(bubble("w1", 2, (9, 9), createdAt="2025-12-28T00:00:00Z"))))
    writer.commit()
    writer.execute("BEGIN IMMEDIATE")  # Cursor is writing right now
    first = cursor.parse(db, None)
    assert "cursor:w1" not in {r.request_id for r in first.records} and len(first.records) == 5
    writer.rollback()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.close()
    second = cursor.parse(db, first.checkpoint)
    assert "cursor:w1" in {r.request_id for r in second.records}


def test_foreign_or_broken_databases_never_raise(tmp_path):
    empty = tmp_path / "empty.vscdb"
    with closing(sqlite3.connect(empty)) as conn:
        conn.execute("CREATE TABLE ItemTable (key TEXT, value BLOB)")
    result = cursor.parse(empty, None)
    assert result.skipped == {"unknown format": 1} and result.checkpoint
    garbage = tmp_path / "garbage.vscdb"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    broken = cursor.parse(garbage, None)
    assert broken.records == [] and broken.skipped == {"unreadable database": 1} and broken.checkpoint == {}


def test_discovery_on_each_platform_folder(tmp_path):
    home, appdata, xdg = tmp_path / "home", tmp_path / "Roaming", tmp_path / "xdg"
    linux = make_db(global_db(home), {})
    mac = make_db(home / "Library" / "Application Support" / "Cursor" / "User" / "globalStorage" / "state.vscdb", {})
    windows = make_db(appdata / "Cursor" / "User" / "globalStorage" / "state.vscdb", {})
    custom = make_db(xdg / "Cursor" / "User" / "globalStorage" / "state.vscdb", {})
    assert cursor.discover({"APPDATA": str(appdata)}, home) == [linux, mac, windows]
    assert cursor.discover({"XDG_CONFIG_HOME": str(xdg)}, home)[0] == custom
    assert cursor.discover({}, tmp_path / "nobody") == []
