"""Sign in with GitHub against a local OAuth 2.0 provider (Authlib's AuthorizationServer) over real HTTP."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, jsonify
from sqlalchemy import func, select
from werkzeug.serving import make_server

from burntop.extensions import db
from burntop.models import User
from tests.avatar_host import avatar_host, picture  # noqa: F401  (the fixture)
from tests.conftest import REDIS_URL
from tests.factories import make_user

CLIENT_ID, CLIENT_SECRET = "burntop-test", "burntop-test-secret"


@dataclass
class GitHubAccount:
    id: int
    login: str
    name: str | None = None
    emails: list[dict] = field(default_factory=list)
    picture: str | None = None

    @property
    def avatar_url(self) -> str:
        return self.picture or f"https://avatars.example/u/{self.id}"


class Client(ClientMixin):
    client_id = CLIENT_ID

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri.endswith("/auth/github/callback")

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    account: GitHubAccount

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


@dataclass
class Token(TokenMixin):
    access_token: str
    scope: str
    account: GitHubAccount
    issued_at: float = field(default_factory=time.time)

    def check_client(self, client):
        return client.get_client_id() == CLIENT_ID

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return 3600

    def is_expired(self):
        return time.time() > self.issued_at + 3600

    def is_revoked(self):
        return False

    def get_user(self):
        return self.account

    def get_client(self):
        return Client()


class FakeGitHub:
    """The provider's state: who is signed in there, and the codes and tokens it issued."""

    def __init__(self):
        self.account: GitHubAccount | None = None
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.url = ""


def provider_app(github: FakeGitHub) -> Flask:
    app = Flask("fake_github")

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, request):
            github.codes[code] = Code(code, request.payload.redirect_uri, request.scope, request.user)

        def query_authorization_code(self, code, client):
            return github.codes.get(code)

        def delete_authorization_code(self, authorization_code):
            github.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.account

    def save_token(token, request):
        github.tokens[token["access_token"]] = Token(token["access_token"], token.get("scope", ""), request.user)

    server = AuthorizationServer(app, query_client=lambda cid: Client() if cid == CLIENT_ID else None,
                                 save_token=save_token)
    server.register_grant(CodeGrant)

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string):
            return github.tokens.get(token_string)

    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.get("/login/oauth/authorize")
    def authorize():
        if github.account is None:  # the person clicked "Cancel" on GitHub's consent screen
            grant = server.get_consent_grant(end_user=None)
            return server.create_authorization_response(grant=grant, grant_user=None)
        grant = server.get_consent_grant(end_user=github.account)
        return server.create_authorization_response(grant=grant, grant_user=github.account)

    @app.post("/login/oauth/access_token")
    def access_token():
        return server.create_token_response()

    @app.get("/api/user")
    @protect()
    def user():
        account = current_token.account
        return jsonify({"id": account.id, "login": account.login, "name": account.name,
                        "avatar_url": account.avatar_url, "email": None})

    @app.get("/api/user/emails")
    @protect("user:email")
    def emails():
        return jsonify(current_token.account.emails)

    return app


@pytest.fixture(scope="module")
def github():
    state = FakeGitHub()
    server = make_server("127.0.0.1", 0, provider_app(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def app_config(app_config, github):
    github.account = None
    return {**app_config, "GITHUB_CLIENT_ID": CLIENT_ID, "GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "GITHUB_AUTHORIZE_URL": f"{github.url}/login/oauth/authorize",
            "GITHUB_TOKEN_URL": f"{github.url}/login/oauth/access_token", "GITHUB_API_URL": f"{github.url}/api"}


def sign_in(client, github: FakeGitHub, account: GitHubAccount | None, next_url: str | None = None):
    """Click "Sign in with GitHub", let the provider answer, and follow it back to burntop."""
    github.account = account
    start = client.get("/auth/github", query_string={"next": next_url} if next_url else None)
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(github.url + "/login/oauth/authorize?")
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/auth/github/callback"
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_user(client) -> dict | None:
    return client.get("/api/auth/session").get_json()["user"]


def verified(address: str, primary: bool = True, verified: bool = True) -> dict:
    return {"email": address, "primary": primary, "verified": verified, "visibility": "private"}


def test_the_authorize_request_asks_for_profile_and_email_scopes(client, github):
    start = client.get("/auth/github")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["scope"] == ["read:user user:email"] and query["state"][0]
    assert query["redirect_uri"] == ["http://testserver/auth/github/callback"]


def test_a_new_github_user_gets_an_account(client, github):
    account = GitHubAccount(1001, "Octo-Cat", "Octo Cat", [verified("Octo@Example.com")])
    response = sign_in(client, github, account)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.github_id == "1001"))
    assert (user.username, user.name, user.image) == ("octo-cat", "Octo Cat", "https://avatars.example/u/1001")
    assert (user.email, user.email_verified) == ("octo@example.com", True)
    assert signed_in_user(client)["username"] == "octo-cat"


def test_a_returning_github_user_signs_into_the_same_account(client, github):
    account = GitHubAccount(1002, "returner", emails=[verified("returner@example.com")])
    sign_in(client, github, account)
    client.post("/api/auth/sign-out", json={})
    account.login = "renamed-on-github"
    response = sign_in(client, github, account, next_url="/settings")
    assert response.headers["Location"] == "/settings"
    assert signed_in_user(client)["username"] == "returner"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_unverified_github_email_is_neither_merged_nor_stored(client, github):
    owner = make_user("owner", email="shared@example.com", email_verified=True)
    account = GitHubAccount(1003, "intruder", emails=[verified("shared@example.com", verified=False)])
    sign_in(client, github, account)
    user = signed_in_user(client)
    assert user["id"] != str(owner.id) and user["username"] == "intruder" and user["email"] is None


def test_a_github_email_held_by_another_account_is_not_merged(client, github):
    squatter = make_user("squatter", email="dev@example.com", email_verified=False)
    account = GitHubAccount(1004, "dev", emails=[verified("dev@example.com")])
    sign_in(client, github, account)
    user = signed_in_user(client)
    assert user["id"] != str(squatter.id) and user["email"] is None
    db.session.refresh(squatter)
    assert squatter.github_id is None


def test_only_the_primary_verified_email_is_used(client, github):
    account = GitHubAccount(1005, "multi", emails=[verified("old@example.com", primary=False),
                                                    verified("main@example.com")])
    sign_in(client, github, account)
    assert signed_in_user(client)["email"] == "main@example.com"


def test_a_taken_or_reserved_login_gets_a_free_username(client, github):
    make_user("taken")
    sign_in(client, github, GitHubAccount(1006, "taken"))
    assert signed_in_user(client)["username"].startswith("taken-")
    client.post("/api/auth/sign-out", json={})
    sign_in(client, github, GitHubAccount(1007, "admin"))
    assert signed_in_user(client)["username"].startswith("admin-")


def test_a_foreign_next_is_ignored(client, github):
    response = sign_in(client, github, GitHubAccount(1008, "nomad"), next_url="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_cancelling_on_github_returns_to_the_login_page(client, github):
    response = sign_in(client, github, None, next_url="/settings")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/settings"
    assert "GitHub sign-in did not complete" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert signed_in_user(client) is None


def test_a_forged_callback_is_refused(client, github):
    client.get("/auth/github")
    response = client.get("/auth/github/callback?code=stolen&state=not-the-one-we-sent")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert signed_in_user(client) is None


def test_github_is_hidden_without_a_client_id(app, client):
    app.config["GITHUB_CLIENT_ID"] = None
    assert client.get("/auth/github").status_code == 404


def test_a_github_sign_in_fetches_the_avatar_for_burntop_to_serve(github, avatar_host, client, runner):
    client.application.config["AVATAR_HOSTS"] = ("localhost",)
    url = avatar_host.serve("/u/1010", picture(), "image/png")
    sign_in(client, github, GitHubAccount(1010, "pictured", picture=url))
    if REDIS_URL:
        assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    user = db.session.scalar(select(User).where(User.github_id == "1010"))
    db.session.refresh(user)
    assert user.image == url and user.avatar_digest and avatar_host.requests == ["/u/1010"]
    assert f'src="/avatars/{user.avatar_digest}.png"' in client.get("/").get_data(as_text=True)


def test_a_github_avatar_on_another_host_is_not_kept(github, client):
    client.application.config["AVATAR_HOSTS"] = ("localhost",)
    sign_in(client, github, GitHubAccount(1011, "elsewhere", picture="https://cdn.example/u/1011"))
    assert db.session.scalar(select(User.image).where(User.github_id == "1011")) is None
