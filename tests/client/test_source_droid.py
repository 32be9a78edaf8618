"""Droid session totals: one honest per-session record, reported once the session is quiet."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.collect import read_new
from burntop.client.sources import droid
from burntop.client.sources.base import HOLD
from burntop.client.sources.droid import SOURCE

SESSION = "0d6f3b0e-5a7c-4c59-9d7e-2f2b3c4d5e6f"


def settings(**usage) -> dict:
    tokens = {"inputTokens": 73400, "outputTokens": 47485, "cacheCreationTokens": 0, "cacheReadTokens": 3518842,
              "thinkingTokens": 0}
    tokens.update(usage)
    return {"model": "claude-sonnet-4-5-20250929", "reasoningEffort": "none", "providerLock": "anthropic",
            "providerLockTimestamp": "2025-11-04T10:26:09.323Z", "assistantActiveTimeMs": 1000, "tokenUsage": tokens}


def write(path: Path, doc, age: float = 2 * droid.QUIET_SECONDS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def session_path(home: Path, name: str = SESSION) -> Path:
    return home / ".factory" / "sessions" / "-home-dev-proj" / f"{name}.settings.json"


def test_quiet_session_becomes_one_session_record(tmp_path):
    path = write(session_path(tmp_path), settings())
    log = path.with_name(f"{SESSION}.jsonl")
    log.write_text(json.dumps({"type": "session_start", "id": SESSION, "title": "private", "cwd": "/home/dev/proj"}) + "\n"
                   + json.dumps({"type": "message", "message": {"role": "user", "content": "secret"}}) + "\n")
    result = SOURCE.parse(path, None)
    (rec,) = result.records
    assert rec.request_id == f"droid:{SESSION}" and rec.source == "droid" and rec.extra == {"granularity": "session"}
    assert (rec.input_tokens, rec.output_tokens, rec.cache_read_tokens, rec.reasoning_tokens) == (73400, 47485, 3518842, 0)
    assert rec.timestamp == datetime(2025, 11, 4, 10, 26, 9, 323000, tzinfo=timezone.utc)
    assert (rec.model, rec.provider, rec.session_id, rec.project) == ("claude-sonnet-4-5-20250929", "anthropic", SESSION, "/home/dev/proj")
    assert "secret" not in repr(rec) and "private" not in repr(rec)


def test_an_active_session_shows_in_stats_but_waits_for_sync(tmp_path):
    path = write(session_path(tmp_path), settings(), age=10)
    result = SOURCE.parse(path, None)
    (rec,) = result.records
    assert rec.extra == {"granularity": "session", HOLD: True} and rec.output_tokens == 47485
    assert not result.skipped and result.checkpoint["size"] == path.stat().st_size
    # sync leaves it, and its checkpoint, for a later run
    collected = read_new([SOURCE], {}, tmp_path, lambda source, key: None)
    assert [(f.records, f.checkpoint) for f in collected.files] == [([], {})]
    os.utime(path, (time.time() - 2 * droid.QUIET_SECONDS,) * 2)
    quiet = read_new([SOURCE], {}, tmp_path, lambda source, key: {})
    assert [r.request_id for f in quiet.files for r in f.records] == [f"droid:{SESSION}"]
    assert quiet.files[0].checkpoint["size"] == path.stat().st_size


def test_a_session_restored_from_a_backup_shows_in_stats_at_once(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from burntop.client.cli import main

    write(session_path(tmp_path / "home"), settings(), age=0)  # just copied back: a fresh mtime
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    result = CliRunner().invoke(main, ["stats", "--source", "droid", "--json", "--tz", "UTC"])
    totals = json.loads(result.stdout)["totals"]
    assert (totals["records"], totals["outputTokens"]) == (1, 47485)


def test_without_a_model_in_settings_the_transcripts_model_line_names_it(tmp_path):
    no_model = {k: v for k, v in settings().items() if k != "model"}
    path = write(session_path(tmp_path), no_model)
    lines = [{"type": "session_start", "id": SESSION, "title": "t", "cwd": "/home/dev/proj"},
             {"type": "message", "message": {"role": "user", "content": [{"type": "text", "text":
              "<system-reminder>\nModel: Claude Opus 4.1 [Anthropic]\nReasoning: none\n</system-reminder>"}]}},
             {"type": "message", "message": {"role": "user", "content": [{"type": "text", "text":
              "<system-reminder>\nModel: Claude Sonnet 4.5 [Anthropic]\n</system-reminder>fix it"}]}}]
    path.with_name(f"{SESSION}.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = SOURCE.parse(path, None)
    (rec,) = result.records
    assert (rec.model, rec.model_estimated) == ("claude-sonnet-4.5", False)
    assert result.notes == {"model from the transcript's Model: line": 1}


def test_thinking_is_a_part_of_output_unless_larger():
    assert droid.session_fields({"outputTokens": 500, "thinkingTokens": 200})["output_tokens"] == 500
    fields = droid.session_fields({"outputTokens": 100, "thinkingTokens": 200})
    assert (fields["output_tokens"], fields["reasoning_tokens"]) == (300, 200)
    assert droid.session_fields({}) is None


def test_checkpoint_and_stable_ids(tmp_path):
    path = write(session_path(tmp_path), settings())
    first = SOURCE.parse(path, None)
    assert SOURCE.parse(path, first.checkpoint).records == []
    write(path, settings(outputTokens=50000))  # resumed later: same id, the larger total is kept locally
    again = SOURCE.parse(path, first.checkpoint)
    assert again.records[0].request_id == first.records[0].request_id
    assert SOURCE.merge(first.records + again.records)[0].output_tokens == 50000


def test_bad_files_never_raise(tmp_path):
    folder = session_path(tmp_path).parent
    assert SOURCE.parse(write(folder / "a.settings.json", '{"tokenUsage": {'), None).skipped["malformed file"] == 1
    assert SOURCE.parse(write(folder / "b.settings.json", [1]), None).skipped["unknown format"] == 1
    assert SOURCE.parse(write(folder / "c.settings.json", {"model": "x"}), None).skipped["no usage"] == 1
    empty = SOURCE.parse(write(folder / "d.settings.json", settings(inputTokens=0, outputTokens=0, cacheReadTokens=0)), None)
    assert empty.skipped["no usage"] == 1 and empty.checkpoint == {}
    no_model = {k: v for k, v in settings().items() if k not in ("model", "providerLockTimestamp")}
    rec = SOURCE.parse(write(folder / "e.settings.json", no_model), None).records[0]
    assert rec.model_estimated and rec.model == "unknown" and rec.project is None
    assert rec.timestamp.tzinfo is not None
    assert SOURCE.parse(folder / "gone.settings.json", None).skipped["unreadable file"] == 1


def test_discovery_flat_and_per_project(tmp_path):
    home = tmp_path / "home"
    nested = write(session_path(home), settings())
    flat = write(home / ".factory" / "sessions" / "old.settings.json", settings())
    write(home / ".factory" / "settings.json", {"model": "x"})
    (nested.parent / f"{SESSION}.jsonl").write_text("")
    assert SOURCE.discover({}, home) == sorted([nested, flat])
    assert SOURCE.discover({}, tmp_path / "nobody") == []
