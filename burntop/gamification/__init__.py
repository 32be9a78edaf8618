"""XP, levels, rank tiers, streaks, the achievement catalog and its evaluation."""
