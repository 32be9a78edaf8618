"""Where the client keeps its credentials and state, and the environment overrides.

BURNTOP_CONFIG_DIR  the folder (default: the platform's config dir, e.g. ~/.config/burntop)
BURNTOP_TOKEN       the API token (overrides the saved one)
BURNTOP_API_URL     the server (overrides the saved one; default https://burntop.dev)
"""
from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_URL = "https://burntop.dev"
CONFIG_FILE = "config.json"


def config_dir(env: Mapping[str, str]) -> Path:
    if env.get("BURNTOP_CONFIG_DIR"):
        return Path(env["BURNTOP_CONFIG_DIR"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("burntop", appauthor=False))


def write_private(path: Path, text: str) -> None:
    """Write a file only the user can read (0600), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def tighten(folder: Path) -> list[str]:
    """Make an existing config dir 0700 and its files 0600 (a folder made by hand, or by an older
    burntop, may be 0755): the token and the parse cache's raw paths are nobody else's business.
    Returns what could not be tightened."""
    failed: list[str] = []
    try:
        items = [(folder, 0o700)]
        if folder.is_dir():
            for item in [*folder.iterdir(), *((folder / "cache").iterdir() if (folder / "cache").is_dir() else ())]:
                items.append((item, 0o700 if item.is_dir() else 0o600))
    except OSError:
        return failed
    for item, mode in items:
        try:
            if item.is_symlink() or not item.exists():
                continue
            if item.stat().st_mode & 0o777 & ~mode:
                item.chmod(mode)
        except OSError:
            failed.append(str(item))
    return failed


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Settings:
    folder: Path
    token: str | None
    api_url: str
    salt: str
    machine_id: str
    token_from_env: bool = False

    @property
    def logged_in(self) -> bool:
        return bool(self.token)


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read the saved config, apply environment overrides, and create the install's salt once."""
    env = os.environ if env is None else env
    folder = config_dir(env)
    saved = read_json(folder / CONFIG_FILE)
    if "salt" not in saved or "machineId" not in saved:
        saved.setdefault("salt", secrets.token_hex(16))
        saved.setdefault("machineId", uuid.uuid4().hex)
        write_private(folder / CONFIG_FILE, json.dumps(saved, indent=2))
    return Settings(
        folder=folder,
        token=env.get("BURNTOP_TOKEN") or saved.get("token"),
        api_url=(env.get("BURNTOP_API_URL") or saved.get("apiUrl") or DEFAULT_API_URL).rstrip("/"),
        salt=saved["salt"],
        machine_id=saved["machineId"],
        token_from_env=bool(env.get("BURNTOP_TOKEN")),
    )


def save_login(settings: Settings, token: str | None, api_url: str | None) -> None:
    """Store (or with token None, forget) the credentials; the file stays 0600."""
    path = settings.folder / CONFIG_FILE
    saved = read_json(path)
    if token is None:
        saved.pop("token", None)
    else:
        saved["token"] = token
    if api_url:
        saved["apiUrl"] = api_url.rstrip("/")
    write_private(path, json.dumps(saved, indent=2))
