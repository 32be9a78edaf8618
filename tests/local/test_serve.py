"""`flask --app app serve`, what `make run` starts: the two lines a newcomer needs, the port it is given,
and no address other computers could reach in local mode."""
from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import User
from tests.local.server import FLASK, ROOT, Served, free_port, server_env


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "burntop.example"])
def test_serve_refuses_other_addresses_in_local_mode(local_app, host):
    result = local_app.test_cli_runner().invoke(args=["serve", "--host", host, "--port", "5999"])
    assert result.exit_code == 1
    assert f"local mode serves only this computer: bind to 127.0.0.1, localhost or ::1, not '{host}'" in result.output
    assert "BURNTOP_LOCAL_MODE=0" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0, "refused before anything happens"


def test_serve_prints_the_address_and_the_sync_command_and_serves_there(tmp_path):
    port = free_port()
    server = Served(["serve"], server_env(tmp_path, PORT=str(port)))  # PORT=5077 make run, without --port
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_for(r"Running on")
        lines = server.output.splitlines()
        assert lines[0] == f"burntop (local mode) at {url}"
        assert lines[1].startswith("sync this computer's usage: ") and lines[1].endswith(f"burntop sync --api-url {url}")
        with urllib.request.urlopen(url + "/api/health", timeout=10) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(url + "/login", timeout=10) as answer:
            assert "data-signed-in-as" in answer.read().decode(), "a page visit is signed in as the owner"
    finally:
        server.stop()


def test_flask_run_refuses_other_addresses_in_local_mode(tmp_path):
    result = subprocess.run([str(FLASK), "--app", "app", "run", "--host", "0.0.0.0", "--port", str(free_port())],
                            cwd=ROOT, env=server_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "local mode serves only this computer" in result.stderr and "Traceback" not in result.stderr


def test_gunicorns_entry_point_refuses_local_mode(tmp_path):
    env = server_env(tmp_path, BURNTOP_ENV="development", SECRET_KEY="x" * 32)
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "never for gunicorn" in result.stderr


def test_the_newcomer_lines_outside_local_mode_say_to_log_in_first():
    from burntop.local_mode import newcomer_lines

    assert newcomer_lines("http://127.0.0.1:5000", "burntop", local=False) == [
        "burntop at http://127.0.0.1:5000",
        "sync this computer's usage: burntop login --api-url http://127.0.0.1:5000, then burntop sync"]
