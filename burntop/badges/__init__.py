"""Embeddable SVG badges: GET /api/badge/<username> and /api/badge/demo (spec 000, "Badges")."""
