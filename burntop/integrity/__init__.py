"""Plausibility review: physical bounds checked at ingest, untrusted user-days kept off public surfaces.

- bounds: the pure rules (documented in the README's bounds table);
- flagging: the set-based check ingest calls after inserting a batch;
- exclude: THE shared condition that keeps untrusted days off every public figure;
- views: the admin review page (/admin/review) and what the owner is told (days_under_review).
"""
