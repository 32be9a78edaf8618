"""burntop.accounts.access: the one check every private surface (API or page) loads a user through."""
from __future__ import annotations

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden, NotFound

from burntop.accounts.access import can_see_private, user_or_404, visible_user_or_abort
from burntop.extensions import db
from burntop.models import Follow
from tests.factories import auth, make_token, make_user


@pytest.fixture
def hidden(app):
    return make_user("hidden", is_public=False)


def test_who_may_see_a_private_profile(app, hidden):
    stranger, follower, pending = make_user("stranger"), make_user("follower"), make_user("pending")
    db.session.add_all([Follow(follower_id=follower.id, followee_id=hidden.id, status="accepted"),
                        Follow(follower_id=pending.id, followee_id=hidden.id, status="pending"),
                        Follow(follower_id=hidden.id, followee_id=stranger.id, status="accepted")])
    db.session.commit()
    assert can_see_private(hidden, hidden)
    assert can_see_private(follower, hidden)
    assert not can_see_private(None, hidden)
    assert not can_see_private(stranger, hidden)  # being followed by them is not enough
    assert not can_see_private(pending, hidden)


def test_unknown_users_are_404_and_names_match_exactly(app, hidden):
    with app.test_request_context("/nobody"):
        with pytest.raises(NotFound):
            user_or_404("nobody")
        with pytest.raises(NotFound):
            user_or_404("HIDDEN")
        assert user_or_404("hidden").id == hidden.id


def test_pages_go_by_the_browser_session_only(app, hidden):
    token = make_token(hidden)
    with app.test_request_context("/hidden", headers=auth(token)):
        with pytest.raises(Forbidden):  # an API key does not open pages
            visible_user_or_abort("hidden")
    with app.test_request_context("/hidden"):
        login_user(hidden)
        assert visible_user_or_abort("hidden").id == hidden.id
    with app.test_request_context("/api/users/hidden", headers=auth(token)):
        assert visible_user_or_abort("hidden").id == hidden.id


def test_public_profiles_are_open_to_everyone(app):
    make_user("open")
    with app.test_request_context("/open"):
        assert visible_user_or_abort("open").username == "open"
