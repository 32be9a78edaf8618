"""Cline, Roo Code and Kilo Code: ui_messages.json task logs (shared reader in vscode_tasks)."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.records import keep_largest
from burntop.client.sources import cline, kilo_code, roo_code

TS = 1_750_000_000_000  # 2025-06-15T15:06:40Z in ms


def started(ts: int, **usage) -> dict:
    """An api_req_started message as the extensions write it (text is a JSON string)."""
    return {"ts": ts, "type": "say", "say": "api_req_started", "text": json.dumps({"request": "[task]", **usage})}


def write_task(root: Path, task_id: str, messages: list, **sidecars) -> Path:
    folder = root / "tasks" / task_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in sidecars.items():
        (folder / f"{name}.json").write_text(json.dumps(content))
    path = folder / "ui_messages.json"
    path.write_text(json.dumps(messages))
    return path


def cline_root(home: Path) -> Path:
    return home / ".config" / "Code" / "User" / "globalStorage" / cline.EXTENSION_ID


def test_cline_anthropic_request_keeps_cache_separate_and_reads_model_metadata(tmp_path):
    metadata = {"files_in_context": [], "model_usage": [
        {"ts": TS - 5000, "model_id": "claude-sonnet-4-20250514", "model_provider_id": "anthropic", "mode": "act"},
        {"ts": TS + 500, "model_id": "gpt-4.1", "model_provider_id": "openai", "mode": "act"},
    ]}
    messages = [
        {"ts": TS - 9000, "type": "say", "say": "task", "text": "secret prompt"},
        started(TS, tokensIn=12, tokensOut=300, cacheWrites=2000, cacheReads=18000, cost=0.0123),
        {"ts": TS + 100, "type": "say", "say": "text", "text": "answer"},
        # generic OpenAI-compatible provider: tokensIn is prompt_tokens, cache reads included
        started(TS + 1000, tokensIn=10000, tokensOut=50, cacheWrites=0, cacheReads=8000, cost=0.01),
        # the same provider against DeepSeek: cacheWrites holds the cache misses (uncached input)
        started(TS + 2000, tokensIn=10000, tokensOut=50, cacheWrites=2000, cacheReads=8000, cost=0.01),
    ]
    path = write_task(cline_root(tmp_path), "1750000000000", messages, task_metadata=metadata)
    result = cline.SOURCE.parse(path, None)
    first, second, third = result.records
    assert first.request_id == f"cline:1750000000000:{TS}"
    assert first.timestamp == datetime(2025, 6, 15, 15, 6, 40, tzinfo=timezone.utc)
    assert (first.model, first.provider, first.model_estimated) == ("claude-sonnet-4-20250514", "anthropic", False)
    assert (first.input_tokens, first.output_tokens) == (12, 300)
    assert (first.cache_creation_tokens, first.cache_read_tokens, first.logged_cost) == (2000, 18000, 0.0123)
    assert first.session_id == "1750000000000"
    assert (second.model, second.provider) == ("gpt-4.1", "openai")
    assert (second.input_tokens, second.cache_read_tokens) == (2000, 8000)
    assert (third.input_tokens, third.cache_creation_tokens, third.cache_read_tokens) == (2000, 0, 8000)
    assert result.skipped == {"no usage": 2} and result.seen == 5


def test_cline_deepseek_misses_are_input_not_cache_writes(tmp_path):
    metadata = {"model_usage": [{"ts": 1, "model_id": "deepseek-chat", "model_provider_id": "deepseek", "mode": "act"}]}
    path = write_task(cline_root(tmp_path), "ds", [started(TS, tokensIn=0, tokensOut=90, cacheWrites=1500,
                                                           cacheReads=6000, cost=0.001)], task_metadata=metadata)
    record = cline.SOURCE.parse(path, None).records[0]
    assert (record.input_tokens, record.cache_creation_tokens, record.cache_read_tokens) == (1500, 0, 6000)


def test_cline_model_from_the_message_wins_and_a_missing_model_is_an_estimated_default(tmp_path):
    with_info = started(TS, tokensIn=5, tokensOut=6)
    with_info["modelInfo"] = {"modelId": "anthropic/claude-opus-4.1", "providerId": "openrouter", "mode": "act"}
    path = write_task(cline_root(tmp_path), "t1", [with_info, started(TS + 1, tokensIn=1, tokensOut=2)])
    a, b = cline.SOURCE.parse(path, None).records
    assert (a.model, a.provider, a.model_estimated) == ("anthropic/claude-opus-4.1", "openrouter", False)
    assert (b.model, b.model_estimated) == (cline.DEFAULT_MODEL, True)


def test_cline_pending_failed_malformed_and_aggregate_messages(tmp_path):
    messages = [
        started(TS),  # placeholder before the stream: no usage yet
        started(TS + 1, tokensIn=0, tokensOut=0, cacheWrites=0, cacheReads=0, cost=0),  # failed first chunk
        {"ts": TS + 2, "type": "say", "say": "api_req_started", "text": "{not json"},
        {"ts": "soon", "type": "say", "say": "api_req_started", "text": json.dumps({"tokensIn": 3})},
        started(TS + 3, tokensIn=40, tokensOut=7, cacheWrites=0, cacheReads=0, cost=0.001,
                cancelReason="user_cancelled", streamingFailedMessage=None),
        {"ts": TS + 4, "type": "say", "say": "deleted_api_reqs",
         "text": json.dumps({"tokensIn": 900, "tokensOut": 90, "cost": 0.5})},
        {"ts": TS + 5, "type": "say", "say": "subagent_usage",
         "text": json.dumps({"source": "subagents", "tokensIn": 100, "tokensOut": 20, "cacheWrites": 0,
                             "cacheReads": 0, "cost": 0.02})},
        "not a message",
        {"ts": TS + 6, "type": "say", "say": ["odd"]},
    ]
    result = cline.SOURCE.parse(write_task(cline_root(tmp_path), "t2", messages), None)
    cancelled, restored, subagents = result.records
    assert (cancelled.input_tokens, cancelled.output_tokens, cancelled.success) == (40, 7, False)
    # first read after a restore: the requests it removed were never seen, so its total counts
    assert restored.request_id == f"cline:t2:{TS + 4}:deleted"
    assert (restored.input_tokens, restored.output_tokens, restored.logged_cost) == (900, 90, 0.5)
    assert (restored.model, restored.model_estimated) == (cline.DEFAULT_MODEL, True)
    assert subagents.request_id == f"cline:t2:{TS + 5}:subagents"
    assert (subagents.input_tokens, subagents.output_tokens, subagents.logged_cost) == (100, 20, 0.02)
    assert result.skipped == {"no usage": 3, "malformed message": 1, "no timestamp": 1, "unknown format": 1}
    assert result.seen == 9


def test_roo_api_protocol_decides_how_cache_relates_to_tokens_in(tmp_path):
    root = tmp_path / ".config" / "Code" / "User" / "globalStorage" / roo_code.EXTENSION_ID
    messages = [
        # openai protocol: tokensIn is the whole prompt, cached parts included
        started(TS, apiProtocol="openai", tokensIn=50000, tokensOut=900, cacheWrites=0, cacheReads=30000, cost=0.1),
        # anthropic protocol, current Roo: tokensIn = input + cache writes + cache reads
        started(TS + 1, apiProtocol="anthropic", tokensIn=21012, tokensOut=80, cacheWrites=1000, cacheReads=20000),
        # anthropic protocol, older Roo: tokensIn is only the uncached input
        started(TS + 2, apiProtocol="anthropic", tokensIn=4, tokensOut=80, cacheWrites=1000, cacheReads=20000),
    ]
    path = write_task(root, "abc-uuid", messages, history_item={"id": "abc-uuid", "workspace": "/home/u/proj"})
    records = roo_code.SOURCE.parse(path, None).records
    assert [(r.input_tokens, r.cache_creation_tokens, r.cache_read_tokens) for r in records] == [
        (20000, 0, 30000), (12, 1000, 20000), (4, 1000, 20000)]
    assert {r.project for r in records} == {"/home/u/proj"}
    assert all(r.source == "roo-code" and r.model_estimated for r in records)
    assert records[0].request_id == f"roo-code:abc-uuid:{TS}"


def test_kilo_usage_missing_is_not_a_zero_usage_record(tmp_path):
    root = tmp_path / ".config" / "Code" / "User" / "globalStorage" / kilo_code.EXTENSION_ID
    messages = [started(TS, apiProtocol="openai", usageMissing=True, tokensIn=0, tokensOut=0, cost=0),
                started(TS + 1, apiProtocol="openai", tokensIn=100, tokensOut=10, inferenceProvider="Anthropic")]
    result = kilo_code.SOURCE.parse(write_task(root, "k1", messages), None)
    assert [r.request_id for r in result.records] == [f"kilo-code:k1:{TS + 1}"]
    assert result.records[0].model == kilo_code.DEFAULT_MODEL
    assert result.skipped == {"no usage": 1}


def test_cline_checkpoint_skips_an_unchanged_file_and_rereads_a_rewritten_one(tmp_path):
    root = cline_root(tmp_path)
    path = write_task(root, "t3", [started(TS, tokensIn=1, tokensOut=2)])
    first = cline.SOURCE.parse(path, None)
    assert len(first.records) == 1 and first.checkpoint["size"] == path.stat().st_size
    assert cline.SOURCE.parse(path, first.checkpoint).records == []
    # the extension rewrites the whole file: the old request keeps its id, the new one is added
    write_task(root, "t3", [started(TS, tokensIn=1, tokensOut=2), started(TS + 60_000, tokensIn=3, tokensOut=4)])
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1))
    again = cline.SOURCE.parse(path, first.checkpoint)
    assert [r.request_id for r in again.records] == [f"cline:t3:{TS}", f"cline:t3:{TS + 60_000}"]
    assert [r.request_id for r in cline.SOURCE.parse(path, None).records] == [r.request_id for r in again.records]


def test_cline_half_written_or_foreign_files_never_raise(tmp_path):
    root = cline_root(tmp_path)
    path = write_task(root, "t4", [])
    path.write_text('[{"ts": 1, "type": "say", "say": "api_req_start')
    result = cline.SOURCE.parse(path, None)
    assert result.records == [] and result.skipped == {"malformed file": 1} and result.checkpoint == {}
    path.write_text('{"not": "a list"}')
    assert cline.SOURCE.parse(path, None).skipped == {"unknown format": 1}
    path.write_text(json.dumps([started(TS, tokensIn=1, tokensOut=1)]))
    for metadata in ("garbage", '{"model_usage": 5}', '{"model_usage": [{"ts": "x", "model_id": 3}, 7]}'):
        (path.parent / "task_metadata.json").write_text(metadata)
        assert cline.SOURCE.parse(path, None).records[0].model_estimated


def test_cline_same_task_in_two_editors_merges_to_one_record(tmp_path):
    a = write_task(cline_root(tmp_path), "t5", [started(TS, tokensIn=1, tokensOut=2)])
    b = write_task(tmp_path / ".config" / "Cursor" / "User" / "globalStorage" / cline.EXTENSION_ID, "t5",
                   [started(TS, tokensIn=1, tokensOut=9)])
    merged = cline.SOURCE.merge(cline.SOURCE.parse(a, None).records + cline.SOURCE.parse(b, None).records)
    assert len(merged) == 1 and merged[0].output_tokens == 9
    assert cline.SOURCE.merge is keep_largest


def test_cline_discovery_covers_editors_servers_and_its_own_data_dir(tmp_path):
    home, appdata, xdg = tmp_path / "home", tmp_path / "AppData", tmp_path / "xdg"
    ext = cline.EXTENSION_ID
    expected = [
        write_task(xdg / "Code - Insiders" / "User" / "globalStorage" / ext, "a", []),
        write_task(home / "Library" / "Application Support" / "Windsurf" / "User" / "globalStorage" / ext, "b", []),
        write_task(appdata / "VSCodium" / "User" / "globalStorage" / ext, "c", []),
        write_task(home / ".vscode-server" / "data" / "User" / "globalStorage" / ext, "d", []),
        write_task(home / ".cline" / "data", "e", []),
    ]
    (home / ".config" / "Code" / "User" / "globalStorage" / ext / "tasks" / "empty").mkdir(parents=True)
    found = cline.discover({"XDG_CONFIG_HOME": str(xdg), "APPDATA": str(appdata)}, home)
    assert sorted(found) == sorted(expected)
    custom = write_task(tmp_path / "cline-data", "f", [])
    overridden = cline.discover({"CLINE_DATA_DIR": str(tmp_path / "cline-data")}, home)
    assert custom in overridden and expected[-1] not in overridden
    via_cline_dir = write_task(tmp_path / "cdir" / "data", "g", [])
    assert via_cline_dir in cline.discover({"CLINE_DIR": str(tmp_path / "cdir")}, home)
    assert cline.discover({}, tmp_path / "nobody") == []


def test_roo_and_kilo_discovery_honour_custom_storage_settings(tmp_path):
    home = tmp_path / "home"
    user = home / ".config" / "Code" / "User"
    user.mkdir(parents=True)
    roo_custom, kilo_custom = tmp_path / "roo store", tmp_path / "kilo-store"
    (user / "settings.json").write_text(
        '{\n  // comments are allowed in VS Code settings\n'
        f'  "roo-cline.customStoragePath": {json.dumps(str(roo_custom))},\n'
        f'  "kilo-code.customStoragePath": {json.dumps(str(kilo_custom))},\n}}\n')
    roo_default = write_task(user / "globalStorage" / roo_code.EXTENSION_ID, "r1", [])
    roo_moved = write_task(roo_custom, "r2", [])
    kilo_moved = write_task(kilo_custom, "k1", [])
    kilo_jetbrains = write_task(home / ".kilocode" / "globalStorage" / kilo_code.EXTENSION_ID, "k2", [])
    assert sorted(roo_code.discover({}, home)) == sorted([roo_default, roo_moved])
    assert sorted(kilo_code.discover({}, home)) == sorted([kilo_moved, kilo_jetbrains])


def cline_with(tmp_path, provider: str, **usage):
    metadata = {"model_usage": [{"ts": 1, "model_id": "some-model", "model_provider_id": provider, "mode": "act"}]}
    path = write_task(cline_root(tmp_path), f"p-{provider}", [started(TS, tokensOut=10, **usage)],
                      task_metadata=metadata)
    result = cline.SOURCE.parse(path, None)
    [record] = result.records
    return (record.input_tokens, record.cache_creation_tokens, record.cache_read_tokens), dict(result.notes)


def test_cline_input_and_cache_follow_each_providers_writer(tmp_path):
    # prompt tokens with cached ones inside (no misses reported): reads and real writes come off
    for provider in ("requesty", "lmstudio", "zai", "openai-codex"):
        assert cline_with(tmp_path, provider, tokensIn=5000, cacheWrites=300, cacheReads=4000)[0] == (700, 300, 4000)
    # uncached input already: Anthropic-style handlers, OpenAI native, OpenRouter, Gemini, Groq...
    for provider in ("anthropic", "openai-native", "openrouter", "gemini", "groq", "cline", "bedrock"):
        assert cline_with(tmp_path, provider, tokensIn=700, cacheWrites=300, cacheReads=4000)[0] == (700, 300, 4000)
    # prompt = hits + misses, the misses stored as cacheWrites: the misses are input, no cache write
    for provider in ("openai", "xai", "doubao", "qwen", "fireworks", "hicap"):
        assert cline_with(tmp_path, provider, tokensIn=5000, cacheWrites=1000, cacheReads=4000)[0] == (1000, 0, 4000)
    # DeepSeek's own handler subtracts hits and misses from tokensIn (always 0) and keeps the misses apart
    assert cline_with(tmp_path, "deepseek", tokensIn=0, cacheWrites=1000, cacheReads=4000)[0] == (1000, 0, 4000)
    # LiteLLM and OCA: misses only in the DeepSeek shape, else a real cache write inside the prompt
    assert cline_with(tmp_path, "litellm", tokensIn=5000, cacheWrites=1000, cacheReads=4000)[0] == (1000, 0, 4000)
    assert cline_with(tmp_path, "litellm", tokensIn=5012, cacheWrites=1000, cacheReads=4000)[0] == (12, 1000, 4000)


def test_a_row_whose_tokens_in_is_below_its_cache_is_read_as_uncached_and_noted(tmp_path):
    # an inclusive provider cannot have stored fewer prompt tokens than it read from the cache
    fields, notes = cline_with(tmp_path, "requesty", tokensIn=12, cacheWrites=300, cacheReads=4000)
    assert fields == (12, 300, 4000)
    assert notes == {"tokensIn smaller than its cache reads + writes: read as uncached input": 1}
    root = tmp_path / ".config" / "Code" / "User" / "globalStorage" / roo_code.EXTENSION_ID
    path = write_task(root, "r", [started(TS, apiProtocol="openai", tokensIn=30, tokensOut=9, cacheReads=9000)])
    [record] = roo_code.SOURCE.parse(path, None).records
    assert (record.input_tokens, record.cache_read_tokens) == (30, 9000)


def roo_history(*turns: tuple[int, str | None]) -> list[dict]:
    """api_conversation_history.json as Roo and Kilo write it: each request's user message carries the
    environment details (with <model>) and its ts, the answer follows."""
    history = []
    for ts, model in turns:
        details = ("<environment_details>\n# VSCode Visible Files\nsrc/app.ts\n\n# Current Time\n2025-06-15T15:06:40Z"
                   "\n\n# Current Mode\n<slug>code</slug>\n<name>💻 Code</name>\n"
                   + (f"<model>{model}</model>\n" if model else "") + "</environment_details>")
        history.append({"role": "user", "ts": ts, "content": [
            {"type": "text", "text": "<task>\nuse <model>mentioned-in-prompt</model>\n</task>"},
            {"type": "text", "text": details}]})
        history.append({"role": "assistant", "ts": ts + 500, "content": [{"type": "text", "text": "ok"}]})
    return history


def test_roo_and_kilo_models_come_from_the_environment_details_of_each_request(tmp_path):
    for module in (roo_code, kilo_code):
        root = tmp_path / module.EXTENSION_ID
        messages = [started(TS, apiProtocol="anthropic", tokensIn=10, tokensOut=1),
                    started(TS + 60_000, apiProtocol="openai", tokensIn=10, tokensOut=1),
                    started(TS + 120_000, apiProtocol="openai", tokensIn=10, tokensOut=1)]
        # each request's details are written right after its api_req_started; the user switched
        # models before the second request, and the third reused the history without new details
        history = roo_history((TS + 40, "claude-sonnet-4-5"), (TS + 60_040, "anthropic/claude-opus-4.1"))
        path = write_task(root, "t", messages, api_conversation_history=history)
        records = module.SOURCE.parse(path, None).records
        assert [(r.model, r.model_estimated) for r in records] == [
            ("claude-sonnet-4-5", False), ("anthropic/claude-opus-4.1", False), ("anthropic/claude-opus-4.1", False)]


def test_environment_details_without_times_give_the_last_model_flagged_estimated(tmp_path):
    root = tmp_path / roo_code.EXTENSION_ID
    history = [{k: v for k, v in m.items() if k != "ts"} for m in roo_history((1, "gpt-4.1"), (2, "o3"))]
    path = write_task(root, "t", [started(TS, apiProtocol="openai", tokensIn=10, tokensOut=1)],
                      api_conversation_history=history)
    [record] = roo_code.SOURCE.parse(path, None).records
    assert (record.model, record.model_estimated) == ("o3", True)
    (path.parent / "api_conversation_history.json").write_text("[{")
    assert roo_code.SOURCE.parse(path, None).records[0].model == roo_code.DEFAULT_MODEL


def test_roo_deepseek_misses_are_input(tmp_path):
    root = tmp_path / roo_code.EXTENSION_ID
    path = write_task(root, "t", [started(TS, apiProtocol="openai", tokensIn=5000, tokensOut=9, cacheWrites=1000,
                                          cacheReads=4000)], api_conversation_history=roo_history((TS + 1, "deepseek-chat")))
    [record] = roo_code.SOURCE.parse(path, None).records
    assert (record.input_tokens, record.cache_creation_tokens, record.cache_read_tokens) == (1000, 0, 4000)
