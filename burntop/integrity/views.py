"""/admin/review: admins (users.is_admin) clear or confirm user-days that failed a plausibility bound.
Anyone else gets 404, as if the page did not exist. Forms carry the CSRF token like every form."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from burntop.integrity import review
from burntop.stats.totals import refresh_landing

bp = Blueprint("admin_review", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(404)


@bp.get("/review")
def index():
    status = request.args.get("status", review.PENDING)
    if status not in review.STATUSES:
        status = review.PENDING
    return render_template("admin/review.html", days=review.queue(status), status=status,
                           statuses=review.STATUSES, limit=review.QUEUE_LIMIT)


@bp.post("/review/<int:user_id>/<day>")
def decide(user_id: int, day: str):
    decision = request.form.get("decision", "")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if decision not in review.DECISIONS:
        abort(400)
    if not review.decide(user_id, when, decision, current_user.id):
        abort(404)
    verb = "cleared: it counts publicly again" if decision == "clear" else "confirmed: it stays off public surfaces"
    flash(f"{when.isoformat()} {verb}.", "success")
    return redirect(url_for("admin_review.index", status=request.args.get("status", review.PENDING)), 303)


@bp.app_template_global("days_under_review")
def _days_under_review(user_id: int) -> list[dict]:
    """For templates/integrity/_under_review.html, which any signed-in page of the owner may include."""
    return review.days_under_review(user_id)


@review.day_reviewed.connect
def _landing_shows_the_decision(sender, **_details) -> None:
    refresh_landing()  # the landing totals and showcase show the decision at once
