"""Leaderboards: rules (scores, windows, order), snapshot computation and scheduling, reads, API and page."""
