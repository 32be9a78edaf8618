"""Kilo CLI: OpenCode's schema in kilo.db under Kilo's own data folder, with its channel names and KILO_DB."""
from __future__ import annotations

from burntop.client.sources import kilo, opencode
from tests.client.test_source_opencode import STEP1, STEP2, database, fork, json_store, message, step, tokens_of


def test_kilo_db_is_read_with_the_opencode_rules_under_its_own_name(tmp_path):
    msgs = [message("msg_0", role="user"), message("msg_1", STEP2), message("msg_2", {"input": 7, "output": 8})]
    parts = [step("prt_a", "msg_1", STEP1), step("prt_c", "msg_1", STEP2)]
    copies, part_copies = fork(msgs, parts, "ses_fork", "_f")
    db = tmp_path / ".local" / "share" / "kilo" / "kilo.db"
    database(db, msgs + copies, parts + part_copies)
    result = kilo.SOURCE.parse(db, None)
    assert sorted(tokens_of(result.records)) == [(7, 8, 0, 0), (10, 200, 5000, 300), (20, 150, 5300, 100)]
    assert {r.source for r in result.records} == {"kilo"}
    assert all(r.request_id.startswith("kilo:") for r in result.records)
    assert sum(result.folded.values()) == 3
    # the same fingerprints as OpenCode's, under Kilo's own prefix
    same = opencode.SOURCE.parse(db, None)
    assert sorted(r.request_id[len("opencode:"):] for r in same.records) == sorted(
        r.request_id[len("kilo:"):] for r in result.records)


def test_discovery_covers_channels_the_old_channel_name_xdg_and_the_json_store(tmp_path):
    home = tmp_path / "home"
    default = home / ".local" / "share" / "kilo"
    xdg = tmp_path / "xdg" / "kilo"
    for path in (default / "kilo.db", default / "kilo-dev.db", default / "opencode-beta.db", xdg / "kilo.db"):
        database(path, [], [])
    (default / "kilo.db-wal").write_bytes(b"")
    (default / "kilo.db-shm").write_bytes(b"")
    database(home / ".local" / "share" / "opencode" / "opencode.db", [], [])  # OpenCode's own: not Kilo's
    [json_message] = json_store(default, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    found = kilo.discover({"XDG_DATA_HOME": str(tmp_path / "xdg")}, home)
    assert set(found) == {default / "kilo.db", default / "kilo-dev.db", default / "opencode-beta.db",
                          xdg / "kilo.db", json_message}
    assert kilo.discover({}, tmp_path / "nobody") == []


def test_kilo_db_override_absolute_relative_and_memory(tmp_path):
    home = tmp_path / "home"
    elsewhere = tmp_path / "dbs" / "work.db"
    database(elsewhere, [], [])
    assert elsewhere in kilo.discover({"KILO_DB": str(elsewhere)}, home)
    relative = home / ".local" / "share" / "kilo" / "custom" / "mine.db"
    database(relative, [], [])
    assert relative in kilo.discover({"KILO_DB": "custom/mine.db"}, home)
    assert kilo.discover({"KILO_DB": ":memory:"}, tmp_path / "nobody") == []
    assert kilo.discover({"KILO_DB": str(tmp_path / "missing.db")}, tmp_path / "nobody") == []


def test_the_json_store_gives_the_same_ids_as_the_database(tmp_path):
    msgs = [message("msg_1", STEP2)]
    parts = [step("prt_a", "msg_1", STEP1), step("prt_c", "msg_1", STEP2)]
    db = tmp_path / "kilo.db"
    database(db, msgs, parts)
    from_json = [r for p in json_store(tmp_path / "data", msgs, parts) for r in kilo.SOURCE.parse(p, None).records]
    assert {r.request_id for r in from_json} == {r.request_id for r in kilo.SOURCE.parse(db, None).records}
    assert (kilo.SOURCE.name, kilo.SOURCE.label) == ("kilo", "Kilo CLI")
