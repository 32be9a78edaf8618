"""The email-code rules: formats, hashing, throttles, attempts, and which account a proven email reaches."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from burntop.accounts import email_codes
from burntop.accounts.email_codes import (
    CodeRejected, Throttled, available_username, check_code, normalize_email, request_code, throttle_wait,
    user_for_email,
)
from burntop.extensions import db
from burntop.models import EmailCode, User
from tests.factories import make_user

CODE_LINE = re.compile(r"code for (\S+): (\d{6})")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def sent_codes(caplog, monkeypatch):
    """The codes the development mailer printed, newest last."""
    # The test run's in-process Alembic upgrade (fileConfig) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("burntop.mail"), "disabled", False)
    caplog.set_level(logging.INFO, logger="burntop.mail")

    def codes(email: str) -> list[str]:
        found = (CODE_LINE.search(r.getMessage()) for r in caplog.records if r.name == "burntop.mail")
        return [m[2] for m in found if m and m[1] == email]

    return codes


@pytest.mark.parametrize("raw,expected", [
    ("Alice@Example.COM", "alice@example.com"),
    ("  bob@example.org\n", "bob@example.org"),
])
def test_emails_are_trimmed_and_lowercased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "alice", "alice@", "@example.com", "a b@example.com", "a@b", None, 42,
                                 "x" * 250 + "@example.com"])
def test_impossible_emails_are_refused(raw):
    with pytest.raises(ValueError):
        normalize_email(raw)


def test_codes_are_six_digits_and_vary():
    codes = {email_codes.generate_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_digests_depend_on_the_secret_and_every_part():
    digest = email_codes.keyed_digest("k1", "code", "a@example.com", "123456")
    assert len(digest) == 64
    assert digest != email_codes.keyed_digest("k2", "code", "a@example.com", "123456")
    assert digest != email_codes.keyed_digest("k1", "code", "b@example.com", "123456")
    assert digest != email_codes.keyed_digest("k1", "code", "a@example.com", "123457")


def test_a_first_code_is_sent_at_once():
    assert throttle_wait([], [], NOW) == (0, "")


def test_one_code_per_email_per_minute():
    assert throttle_wait([ago(seconds=20)], [ago(seconds=20)], NOW) == (40, "gap")
    assert throttle_wait([ago(seconds=60)], [ago(seconds=60)], NOW) == (0, "")


def test_five_codes_per_email_per_hour():
    sends = [ago(minutes=m) for m in (50, 40, 30, 20, 10)]
    assert throttle_wait(sends, sends, NOW) == (10 * 60, "email")
    assert throttle_wait(sends[1:], sends[1:], NOW) == (0, "")
    assert throttle_wait([ago(minutes=61)] + sends[1:], sends, NOW) == (0, "")


def test_twenty_codes_per_ip_per_hour():
    ip_sends = [ago(minutes=59 - i) for i in range(20)]
    assert throttle_wait([], ip_sends, NOW) == (60, "ip")
    assert throttle_wait([], ip_sends[1:], NOW) == (0, "")


def test_codes_are_stored_hashed_with_the_ip_hashed(app, sent_codes):
    request_code("alice@example.com", "203.0.113.9")
    row = db.session.scalar(select(EmailCode))
    code = sent_codes("alice@example.com")[-1]
    assert row.email == "alice@example.com"
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert "203.0.113.9" not in row.ip_hash
    assert row.expires_at - row.created_at == timedelta(minutes=10)


def test_a_code_works_once(app, sent_codes):
    request_code("alice@example.com", "1.2.3.4")
    code = sent_codes("alice@example.com")[-1]
    check_code("alice@example.com", code)
    with pytest.raises(CodeRejected) as rejected:
        check_code("alice@example.com", code)
    assert rejected.value.reason == "expired"


def test_a_code_expires_after_ten_minutes(app, sent_codes):
    with freeze_time(NOW):
        request_code("alice@example.com", "1.2.3.4")
    code = sent_codes("alice@example.com")[-1]
    with freeze_time(NOW + timedelta(minutes=10, seconds=1)), pytest.raises(CodeRejected) as rejected:
        check_code("alice@example.com", code)
    assert rejected.value.reason == "expired"
    with freeze_time(NOW + timedelta(minutes=9, seconds=59)):
        check_code("alice@example.com", code)


def test_the_sixth_attempt_fails_even_with_the_right_code(app, sent_codes):
    request_code("alice@example.com", "1.2.3.4")
    code = sent_codes("alice@example.com")[-1]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    reasons = []
    for _ in range(5):
        with pytest.raises(CodeRejected) as rejected:
            check_code("alice@example.com", wrong)
        reasons.append(rejected.value.reason)
    assert reasons == ["wrong"] * 4 + ["attempts"]
    with pytest.raises(CodeRejected) as rejected:
        check_code("alice@example.com", code)
    assert rejected.value.reason == "attempts"


def test_the_fifth_attempt_may_still_be_right(app, sent_codes):
    request_code("alice@example.com", "1.2.3.4")
    code = sent_codes("alice@example.com")[-1]
    for _ in range(4):
        with pytest.raises(CodeRejected):
            check_code("alice@example.com", "000000" if code != "000000" else "111111")
    check_code("alice@example.com", code)


def test_a_new_code_retires_the_previous_one(app, sent_codes):
    with freeze_time(NOW):
        request_code("alice@example.com", "1.2.3.4")
    with freeze_time(NOW + timedelta(seconds=61)):
        request_code("alice@example.com", "1.2.3.4")
        first, second = sent_codes("alice@example.com")
        if first != second:
            with pytest.raises(CodeRejected):
                check_code("alice@example.com", first)
        check_code("alice@example.com", second)


def test_a_code_for_one_address_does_not_open_another(app, sent_codes):
    request_code("alice@example.com", "1.2.3.4")
    request_code("mallory@example.com", "1.2.3.4")
    with pytest.raises(CodeRejected):
        check_code("mallory@example.com", sent_codes("alice@example.com")[-1])


def test_throttled_sends_say_how_long_to_wait(app, sent_codes):
    with freeze_time(NOW):
        request_code("alice@example.com", "1.2.3.4")
    with freeze_time(NOW + timedelta(seconds=15)), pytest.raises(Throttled) as throttled:
        request_code("alice@example.com", "1.2.3.4")
    assert throttled.value.kind == "gap" and throttled.value.retry_after == 45
    assert "45 seconds" in str(throttled.value)
    assert len(sent_codes("alice@example.com")) == 1


@pytest.mark.parametrize("seed,expected", [
    ("alice", "alice"),
    ("Alice.Smith+burntop", "alice-smith-burntop"),
    ("jo", "jo-dev"),
    ("..", "dev"),
    ("x" * 60, "x" * 30),
    ("José_Ñ", "jos"),
])
def test_usernames_are_derived_from_a_seed(app, seed, expected):
    assert available_username(seed) == expected


def test_derived_usernames_avoid_taken_and_reserved_names(app):
    make_user("alice")
    assert available_username("alice").startswith("alice-")
    assert available_username("admin").startswith("admin-")


def test_a_proven_email_reaches_the_account_that_verified_it(app):
    alice = make_user("alice", email="alice@example.com", email_verified=True)
    assert user_for_email("alice@example.com").id == alice.id


def test_an_unknown_email_creates_a_verified_account(app):
    user = user_for_email("new.person@example.com")
    assert (user.username, user.email, user.email_verified) == ("new-person", "new.person@example.com", True)


def test_an_unverified_email_is_never_a_way_into_its_holder(app):
    squatter = make_user("squatter", email="victim@example.com", email_verified=False, github_id="999")
    user = user_for_email("victim@example.com")
    assert user.id != squatter.id
    assert (user.email, user.email_verified) == ("victim@example.com", True)
    db.session.refresh(squatter)
    assert squatter.email is None and squatter.github_id == "999"
    assert db.session.scalar(select(User).where(User.username == "squatter")) is not None
