"""After a sync the CLI shows what it earned (new achievements by name, a level-up, XP gained), in text
and JSON, and says nothing of the game when nothing happened."""
from __future__ import annotations

import json

from click.testing import CliRunner

from burntop.client import sync as syncing
from burntop.client.cli import main
from tests.client.test_source_claude_code import append, assistant
from tests.client.test_sync_e2e import claude_history, codex_history

# The fixture history earns, on the server's rules (README "Gamification"):
#   achievements  First Sync 10, Session Starter 15 (the sessions the client now sends), Warming Up 25,
#                 Six Figures 25, Hat Trick 25, Cache Hit 10, Multi-Tool 25, Cross-Pollinator 25 = 160 XP
#   3 active days x 5 XP = 15, the 3-day streak milestone = 10
#   tokens, per UTC day weighted (fresh 1, cache writes 1.25, cache reads 0.1) and below the 20,000 knee,
#   so 1 XP per 10,000 weighted tokens, floored to hundredths per day (rules.day_tokens_xp_centi):
#     Oct 1: Claude 2 x (4 in + 300 writes + 20,000 reads) + 103 out, Codex 4,596 fresh + 17,984 reads
#            = 4,707 fresh, 600 writes, 57,984 reads -> 11,255.4 weighted -> 1.12 XP
#     Oct 2: 113 fresh, 600 writes, 40,000 reads -> 4,863 -> 0.48 XP;  Oct 3: 115 fresh -> 4,865 -> 0.48 XP
#   = 2.08 XP
# 187.08 XP: level 3 (150 XP) "Token Apprentice"; level 4 is at 250 XP.
FIRST_SYNC = [
    "",
    "Level up! Level 3, Token Apprentice",
    "+187 XP: 187 of 250 XP to level 4",
    "8 new achievements:",
    "  First Sync (common, +10 XP): Synced your first usage data",
    "  Session Starter (common, +15 XP): Synced your first coding session",
    "  Warming Up (common, +25 XP): Used 10,000 tokens",
    "  Six Figures (common, +25 XP): Used 100,000 tokens",
    "  Hat Trick (common, +25 XP): Used AI coding tools 3 days in a row",
    "  Cache Hit (common, +10 XP): Read tokens from a prompt cache",
    "  Multi-Tool (common, +25 XP): Used 2 different AI coding tools",
    "  Cross-Pollinator (common, +25 XP): Used models from 2 providers",
]


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_a_first_sync_shows_what_it_unlocked_and_a_quiet_one_shows_nothing(home, login, live_server):
    path = claude_history(home)
    codex_history(home)
    login(live_server)
    first = run("sync")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == ["claude-code  6 added, 0 already on the server",
                                         "codex        2 added, 0 already on the server", *FIRST_SYNC]
    assert run("sync").stdout == "nothing new to sync\n"
    assert run("sync", "--full").stdout.splitlines() == ["claude-code  0 added, 6 already on the server",
                                                         "codex        0 added, 2 already on the server"]
    # 94 fresh, 300 cache writes and 20,000 cache reads more on Oct 2, a day already counted: the day now
    # weighs 7,332 tokens, 0.73 XP, replacing its 0.48: +0.25 XP, nothing unlocked
    append(path, assistant("msg_more", "req_more", at="2025-10-02T18:00:00.000Z"))
    assert run("sync").stdout.splitlines() == ["claude-code  1 added, 0 already on the server", "",
                                               "+0.25 XP: 187 of 250 XP to level 4"]


def test_the_json_summary_carries_the_game_summed_over_batches(home, login, live_server, monkeypatch):
    monkeypatch.setattr(syncing, "BATCH_SIZE", 2)  # 6 + 2 records: 4 batches, the unlocks spread over them
    claude_history(home)
    codex_history(home)
    login(live_server)
    report = json.loads(run("sync", "--json").stdout)
    names = [a["name"] for a in report["achievements"]]  # in the order the batches unlocked them
    assert sorted(names) == ["Cache Hit", "Cross-Pollinator", "First Sync", "Hat Trick", "Multi-Tool",
                             "Session Starter", "Six Figures", "Warming Up"]
    assert report["achievements"][0] == {"id": "first-sync", "name": "First Sync", "rarity": "common",
                                         "xpReward": 10, "description": "Synced your first usage data"}
    assert (report["leveledUp"], report["newLevel"], report["xpGained"]) == (True, 3, 187.08)
    assert report["level"] == {"level": 3, "title": "Token Apprentice", "currentXp": 187.08,
                               "xpToNextLevel": 62.92, "totalXpForNextLevel": 250, "progress": 0.74}
    quiet = json.loads(run("sync", "--json").stdout)
    assert (quiet["achievements"], quiet["leveledUp"], quiet["newLevel"], quiet["xpGained"], quiet["level"]) == (
        [], False, None, 0, None)
