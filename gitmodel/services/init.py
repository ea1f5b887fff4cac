"""``gitmodel init``: config, cache, ignore rules. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.config import CONFIG_FILE, INITIAL_CONFIG, load_config
from gitmodel.errors import UsageError
from gitmodel.hashing import ALGORITHMS, DEFAULT_ALGORITHM
from gitmodel.services.add import _write_atomic
from gitmodel.services.workspace import Workspace

# Root .gitignore rules: temporaries of interrupted writes never get committed, and
# a broad user rule (say "*.toml") can never hide gitmodel's own files.
IGNORE_BLOCK = [
    "# gitmodel: temporary files of interrupted writes",
    "*.gitmodel-tmp*",
    "# gitmodel: never ignore the config and pointer files",
    "!/.gitmodel.toml",
    "!*.gitmodel",
]


@dataclass
class InitResult:
    root: Path
    created: list[str] = field(default_factory=list)
    cache_dir: Path | None = None
    hooks: list[str] = field(default_factory=list)


def init(
    cwd: str | None = None,
    *,
    hash_algorithm: str = DEFAULT_ALGORITHM,
    stage: bool = True,
    hooks: bool = True,
) -> InitResult:
    """Set a Git work tree up for gitmodel; running it again changes nothing."""
    if hash_algorithm not in ALGORITHMS:
        raise UsageError(f"--hash {hash_algorithm!r}: choose one of {', '.join(ALGORITHMS)}")
    ws = Workspace.open(cwd, require_init=False)
    result = InitResult(root=ws.root)
    config_path = ws.root / CONFIG_FILE
    if not config_path.exists():
        _write_atomic(config_path, INITIAL_CONFIG.format(hash=hash_algorithm))
        result.created.append(CONFIG_FILE)
    ws.config = load_config(ws.root, ws.git.git_dir)
    gitignore = ws.root / ".gitignore"
    text = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    lines = text.splitlines()
    missing = [line for line in IGNORE_BLOCK if line not in lines]
    if missing:
        if text and not text.endswith("\n"):
            text += "\n"
        _write_atomic(gitignore, text + "\n".join(missing) + "\n")
        result.created.append(".gitignore")
    ws.cache.root.mkdir(parents=True, exist_ok=True)
    ws.data_dir.mkdir(parents=True, exist_ok=True)
    result.cache_dir = ws.cache.root
    if hooks:
        from gitmodel.services.hooks import install_hooks

        result.hooks = [f"{h.name} ({h.state})" for h in install_hooks(ws.git)]
    if stage and result.created:
        ws.git.stage([CONFIG_FILE, ".gitignore"])
    return result
