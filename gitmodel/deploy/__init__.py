"""Deploy targets: what ``gitmodel deploy`` does beyond recording the assignment.

Configured per environment in ``.gitmodel.toml`` (docs/registry.md, "Deploy targets")::

    [deploy.prod]
    target = "serving-dir"          # TF Serving / TorchServe layout <dir>/<name>/<N>/...
    dir = "serving"

    [deploy.staging]
    target = "command"              # runs a command with the model path in its env
    command = "scripts/deploy.sh"

    [deploy.k8s]
    target = "kubernetes"           # renders a Deployment + ConfigMap pinning the version
    image = "ghcr.io/acme/serve:1.4"

A target gets a ``Release`` (what is deployed where) and a ``Materialize`` callable
that places the model's verified bytes in a directory; it returns one line saying
what it did. A target always brings its environment to the state the registry says
(the release handed to it is re-read after the tag is made), so running it twice is
harmless and a rollback rolls the target back too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gitmodel.errors import ConfigError, GitModelError

# Places the model under the given (empty or new) directory; returns the model's path
# there: the file for a file model, the directory itself for a directory model.
Materialize = Callable[[Path], Path]


class DeployError(GitModelError):
    """A deploy target failed (the registry event, if any, is recorded already)."""


@dataclass(frozen=True)
class Release:
    """One version of an artifact, assigned to one environment by the tag ``tag``."""

    artifact: str
    env: str
    version: str  # e.g. "v0.2.0", or a short commit for an unregistered version
    counter: int  # N of the assignment: grows with every deploy and rollback
    tag: str
    commit: str
    path: str  # the model's path in the repository
    algo: str
    oid: str
    size: int
    kind: str  # "file" or "dir"
    repo_root: Path
    object_url: str | None = None  # where the default remote holds the object, if known

    def environment(self) -> dict[str, str]:
        """GITMODEL_* variables describing the release (for commands and manifests)."""
        values = {
            "GITMODEL_ARTIFACT": self.artifact,
            "GITMODEL_ENV": self.env,
            "GITMODEL_VERSION": self.version,
            "GITMODEL_COUNTER": str(self.counter),
            "GITMODEL_TAG": self.tag,
            "GITMODEL_COMMIT": self.commit,
            "GITMODEL_PATH": self.path,
            "GITMODEL_HASH": self.algo,
            "GITMODEL_OID": self.oid,
            "GITMODEL_SIZE": str(self.size),
        }
        if self.object_url:
            values["GITMODEL_OBJECT_URL"] = self.object_url
        return values


class Target(Protocol):
    """A deploy target: built from its config table, asked to deploy one release."""

    kind: str

    def deploy(self, release: Release, materialize: Materialize) -> str: ...


def _targets() -> dict[str, Callable[[str, Mapping[str, Any]], Target]]:
    from gitmodel.deploy.command import CommandTarget
    from gitmodel.deploy.kubernetes import KubernetesTarget
    from gitmodel.deploy.serving_dir import ServingDirTarget

    return {
        ServingDirTarget.kind: ServingDirTarget,
        CommandTarget.kind: CommandTarget,
        KubernetesTarget.kind: KubernetesTarget,
    }


TARGET_KINDS = ("serving-dir", "command", "kubernetes")


def load_target(deploy_config: Any, env: str) -> Target | None:
    """The target configured for ``env`` under ``[deploy.ENV]``; None if there is none."""
    if deploy_config is None:
        return None
    if not isinstance(deploy_config, Mapping):
        raise ConfigError("[deploy] in .gitmodel.toml must be a table of tables")
    table = deploy_config.get(env)
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"[deploy.{env}] in .gitmodel.toml must be a table")
    kind = table.get("target", "serving-dir")
    factories = _targets()
    if kind not in factories:
        raise ConfigError(
            f"[deploy.{env}] target = {kind!r} is unknown; use one of {', '.join(TARGET_KINDS)}"
        )
    return factories[kind](env, table)


def option(table: Mapping[str, Any], env: str, key: str, kind: type, default: Any = None) -> Any:
    """``table[key]`` checked to be of ``kind``; ConfigError naming the key otherwise."""
    value = table.get(key, default)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(
            f"[deploy.{env}] {key} must be a {kind.__name__}, not {type(value).__name__}"
        )
    return value
