"""What a sync earned: new achievements (named from the catalog), XP gained and a level-up, summed over
the batches of one `burntop sync`. Nothing to say when nothing happened."""
from __future__ import annotations

from dataclasses import dataclass, field

from burntop.format import number, plural
from burntop.gamification.rules import xp_value as _xp  # pure rules: no Flask, no database


@dataclass
class Rewards:
    achievements: list[str] = field(default_factory=list)  # ids, in the order the server unlocked them
    xp_gained_centi: int = 0
    new_level: int | None = None
    level: dict | None = None  # the server's level object (spec 000) after the last batch

    def add(self, answer: dict) -> None:
        """Fold in one POST /api/sync answer (an older server may lack xpGained and level)."""
        for achievement in answer.get("achievements") or ():
            if isinstance(achievement, str) and achievement not in self.achievements:
                self.achievements.append(achievement)
        gained = answer.get("xpGained")
        if isinstance(gained, (int, float)) and gained > 0:
            self.xp_gained_centi += round(gained * 100)
        if answer.get("leveledUp") and isinstance(answer.get("newLevel"), int):
            self.new_level = answer["newLevel"]
        if isinstance(answer.get("level"), dict):
            self.level = answer["level"]

    def as_json(self) -> dict:
        return {
            "achievements": [describe(a) for a in self.achievements],
            "leveledUp": self.new_level is not None,
            "newLevel": self.new_level,
            "xpGained": _xp(self.xp_gained_centi),
            "level": self.level,
        }

    def lines(self) -> list[str]:
        """What to tell the person: nothing when the sync earned nothing. XP reads as in the site's header."""
        if not (self.achievements or self.xp_gained_centi or self.new_level is not None):
            return []
        out = [""]
        level = self.level or {}
        if self.new_level is not None:
            title = level.get("title") if level.get("level") == self.new_level else None
            out.append(f"Level up! Level {self.new_level}" + (f", {title}" if title else ""))
        if self.xp_gained_centi:
            gained = _xp(self.xp_gained_centi)
            line = f"+{number(gained) if gained >= 1 else number(gained, 2)} XP"
            if isinstance(level.get("currentXp"), (int, float)) and isinstance(level.get("level"), int):
                line += (f": {number(int(level['currentXp']))} of {number(level.get('totalXpForNextLevel'))} XP "
                         f"to level {level['level'] + 1}")
            out.append(line)
        if self.achievements:
            out.append(f"{plural(len(self.achievements), 'new achievement')}:")
            for achievement in map(describe, self.achievements):
                extra = ", ".join(x for x in (achievement["rarity"], achievement["xpReward"] is not None
                                              and f"+{number(achievement['xpReward'])} XP") if x)
                out.append(f"  {achievement['name']}" + (f" ({extra})" if extra else "")
                           + (f": {achievement['description']}" if achievement["description"] else ""))
        return out


def describe(achievement_id: str) -> dict:
    """Name, rarity, XP and description from the catalog; an id this client does not know keeps its id."""
    from burntop.gamification.catalog import BY_ID  # pure data: no Flask, no database

    known = BY_ID.get(achievement_id)
    if known is None:
        return {"id": achievement_id, "name": achievement_id, "rarity": None, "xpReward": None, "description": None}
    return {"id": known.id, "name": known.name, "rarity": known.rarity, "xpReward": known.xp_reward,
            "description": known.description}
