"""``gitmodel remote add|list|remove|modify``: remotes in ``.gitmodel.toml`` (committed)
or, with ``local=True``, in ``$GIT_DIR/gitmodel/config.toml`` (never committed).

Committed settings never hold secrets: a URL with embedded credentials is refused,
and so are keys that name secrets. Credentials come from each backend's own chain
(env vars, ~/.aws, gcloud ADC, Azure CLI, ssh-agent) or from the local file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gitmodel.config import CONFIG_FILE, LOCAL_CONFIG_FILE, load_config
from gitmodel.errors import ConfigError, UsageError
from gitmodel.services.workspace import Workspace
from gitmodel.storage.remote import redact_url

SCHEMES = (
    "file",
    "s3",
    "gs",
    "gcs",
    "azure",
    "az",
    "abfs",
    "ssh",
    "sftp",
    "webdav",
    "webdavs",
    "http",
    "https",
)
READ_ONLY_SCHEMES = ("http", "https")
SECRET_KEYS = re.compile(
    r"(secret|password|passwd|token|key$|credential|connection_string"
    r"|sas|account_key)",
    re.I,
)
_OPTION = re.compile(r"[a-z][a-z0-9_.]{0,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class RemoteInfo:
    name: str
    url: str
    default: bool
    options: dict[str, Any]
    where: str  # "committed" or "local"

    def to_json(self) -> dict[str, Any]:
        shown = {k: ("***" if SECRET_KEYS.search(k) else v) for k, v in self.options.items()}
        return {
            "name": self.name,
            "url": redact_url(self.url),
            "default": self.default,
            "options": shown,
            "config": self.where,
        }


def check_url(url: str, *, committed: bool) -> str:
    """Validate a remote URL (or local path); refuse credentials in committed config."""
    if not url or url.strip() != url:
        raise UsageError("remote URL is empty or has surrounding spaces")
    if "://" not in url:
        return url  # a local path
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UsageError(
            f"unsupported remote URL scheme {scheme!r}; use one of "
            + ", ".join(f"{s}://" for s in SCHEMES)
            + " or a local path"
        )
    if committed and (parts.password or (parts.username and scheme not in ("ssh", "sftp"))):
        raise UsageError(
            f"{redact_url(url)}: credentials in a URL would be committed to Git; remove them "
            "and use the backend's credential chain or --local",
            fix="gitmodel remote add NAME URL --local",
        )
    if committed and parts.query and SECRET_KEYS.search(parts.query):
        raise UsageError(
            f"{redact_url(url)}: the query string looks like it holds a secret "
            "(a SAS token?); keep it in the local config with --local"
        )
    return url


def _config_path(ws: Workspace, local: bool) -> Path:
    return ws.data_dir / LOCAL_CONFIG_FILE if local else ws.root / CONFIG_FILE


def _edit_config(ws: Workspace, local: bool, change: Any) -> None:
    """Edit the committed (then stage it, like ``add`` stages pointers) or local config."""
    path = _config_path(ws, local)
    _edit(path, change)
    if not local:
        ws.git.stage([CONFIG_FILE])
    ws.config = load_config(ws.root, ws.git.git_dir)


def _edit(path: Path, change: Any) -> None:
    """Load a TOML file with tomlkit (keeping comments), apply ``change``, write atomically."""
    import tomlkit

    from gitmodel.services.add import _write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # tomlkit raises its own family of parse errors
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    change(doc)
    _write_atomic(path, tomlkit.dumps(doc))


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(f"remote name {name!r}: use letters, digits, '_', '.', '-'")
    return name


def list_remotes(ws: Workspace) -> list[RemoteInfo]:
    committed = load_config(ws.root).remotes
    merged = ws.config.remotes
    default = ws.config.default_remote
    result = []
    for name in sorted(merged):
        options = dict(merged[name])
        url = str(options.pop("url", ""))
        result.append(
            RemoteInfo(
                name, url, name == default, options, "committed" if name in committed else "local"
            )
        )
    return result


def add_remote(
    ws: Workspace,
    name: str,
    url: str,
    *,
    default: bool = False,
    local: bool = False,
    force: bool = False,
) -> RemoteInfo:
    """Add a remote; ``default`` makes push/pull and the hooks use it."""
    _check_name(name)
    check_url(url, committed=not local)
    if name in ws.config.remotes and not force:
        raise UsageError(
            f"remote {name!r} already exists", fix=f"gitmodel remote modify {name} url {url}"
        )
    # A bare "host:path" is most likely a mistyped URL; a path is fine when it is one.
    if "://" not in url and ":" in url and not Path(url).exists():
        raise UsageError(f"{url!r} is neither a URL (scheme://...) nor a local path")

    def change(doc: Any) -> None:
        import tomlkit

        if "remotes" not in doc:
            doc["remotes"] = tomlkit.table(is_super_table=True)
        table = tomlkit.table()
        table["url"] = url
        doc["remotes"][name] = table
        if default:
            doc["default_remote"] = name

    _edit_config(ws, local, change)
    return next(r for r in list_remotes(ws) if r.name == name)


def remove_remote(ws: Workspace, name: str) -> None:
    if name not in ws.config.remotes:
        raise UsageError(f"no remote named {name!r}", fix="gitmodel remote list")
    for local in (False, True):
        path = _config_path(ws, local)

        def change(doc: Any) -> None:
            if "remotes" in doc and name in doc["remotes"]:
                del doc["remotes"][name]
            if doc.get("default_remote") == name:
                del doc["default_remote"]

        if path.exists():
            _edit_config(ws, local, change)


def modify_remote(
    ws: Workspace, name: str, key: str, value: str, *, local: bool = False, unset: bool = False
) -> None:
    """Set (or unset) one option of a remote, e.g. ``endpoint_url`` or ``profile``."""
    if name not in ws.config.remotes:
        raise UsageError(f"no remote named {name!r}", fix="gitmodel remote list")
    if not _OPTION.fullmatch(key):
        raise UsageError(f"remote option {key!r}: use lower-case letters, digits, '_' and '.'")
    if SECRET_KEYS.search(key) and not local:
        raise UsageError(
            f"{key} is a secret and would be committed to Git",
            fix=f"gitmodel remote modify {name} {key} VALUE --local",
        )
    if key == "url" and not unset:
        check_url(value, committed=not local)
    parsed: Any = value
    if key in ("jobs", "port", "retries", "timeout") and not unset:
        if not value.isdigit() or int(value) <= 0:
            raise UsageError(f"{key} must be a positive integer")
        parsed = int(value)
    elif key in ("anon", "fsync") and not unset:
        parsed = value.lower() in ("1", "true", "yes")

    def change(doc: Any) -> None:
        import tomlkit

        if "remotes" not in doc:
            doc["remotes"] = tomlkit.table(is_super_table=True)
        if name not in doc["remotes"]:
            doc["remotes"][name] = tomlkit.table()
        if unset:
            doc["remotes"][name].pop(key, None)
        else:
            doc["remotes"][name][key] = parsed

    _edit_config(ws, local, change)


def set_default(ws: Workspace, name: str) -> None:
    if name not in ws.config.remotes:
        raise UsageError(f"no remote named {name!r}", fix="gitmodel remote list")

    def change(doc: Any) -> None:
        doc["default_remote"] = name

    _edit_config(ws, False, change)
