"""What a machine's default label shows: a number and a fingerprint that reveals nothing of the id."""
from __future__ import annotations

import hashlib
import re
import socket

from burntop.client import config as cfg
from burntop.stats.machines import default_label, fingerprint


def test_the_client_makes_a_random_machine_id_that_holds_nothing_about_the_computer(tmp_path):
    first = cfg.load({"BURNTOP_CONFIG_DIR": str(tmp_path / "a"), "HOME": str(tmp_path)}).machine_id
    again = cfg.load({"BURNTOP_CONFIG_DIR": str(tmp_path / "a"), "HOME": str(tmp_path)}).machine_id
    other = cfg.load({"BURNTOP_CONFIG_DIR": str(tmp_path / "b"), "HOME": str(tmp_path)}).machine_id
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first == again            # stable for one install
    assert first != other            # a second install on the same computer is another machine
    host = socket.gethostname().lower()
    assert host not in first and first not in host


def test_a_client_id_shows_its_own_last_four_characters():
    machine_id = "0123456789abcdef0123456789ab3f9a"
    assert fingerprint(machine_id) == "3f9a"
    assert default_label(machine_id, 2) == "Computer 2 (…3f9a)"


def test_any_other_id_shows_a_hash_never_a_fragment_of_itself():
    hostname = "alices-macbook-pro.local"
    shown = fingerprint(hostname)
    assert shown == hashlib.sha256(hostname.encode()).hexdigest()[:4]
    assert default_label(hostname, 1) == f"Computer 1 (…{shown})"
    assert not any(hostname[i:i + 3] in shown for i in range(len(hostname) - 2))
    assert fingerprint("0123456789ABCDEF0123456789AB3F9A") != "3F9A"  # not the client's form: hashed


def test_records_without_a_machine_id_are_the_unknown_computer():
    assert default_label("", None) == "Unknown computer"
