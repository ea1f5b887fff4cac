"""``kubernetes``: render a ConfigMap + Deployment that pin the deployed version.

The ConfigMap carries ``MODEL_NAME``, ``MODEL_VERSION``, ``MODEL_HASH``, ``MODEL_OID``,
``MODEL_PATH`` (and ``MODEL_URL`` when the default remote is known) into the serving
container's environment; the pod template is labelled and annotated with the
version and object id, so applying a new version (or a rollback) rolls the pods.
The manifest is written to ``output`` (default ``deploy/<env>/<name>.yaml``) for
``kubectl apply -f`` or a GitOps tool; ``apply = true`` runs kubectl itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitmodel.deploy import DeployError, Materialize, Release, option
from gitmodel.errors import ConfigError

_DNS_BAD = re.compile(r"[^a-z0-9-]+")
_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")


class KubernetesTarget:
    kind = "kubernetes"

    def __init__(self, env: str, table: Mapping[str, Any]) -> None:
        self.env = env
        self.image = option(table, env, "image", str)
        if not self.image:
            raise ConfigError(
                f'[deploy.{env}] target = "kubernetes" needs image = "REGISTRY/IMAGE:TAG" '
                "(the serving container)"
            )
        self.namespace = option(table, env, "namespace", str)
        self.replicas = option(table, env, "replicas", int, 1)
        self.port = option(table, env, "port", int)
        self.output = option(table, env, "output", str)
        self.name = option(table, env, "name", str)
        self.apply = option(table, env, "apply", bool, False)

    def output_path(self, release: Release) -> Path:
        default = f"deploy/{self.env}/{dns_name(release.artifact)}.yaml"
        path = Path(os.path.expanduser(self.output or default))
        return path if path.is_absolute() else release.repo_root / path

    def deploy(self, release: Release, materialize: Materialize) -> str:
        path = self.output_path(release)
        text = render(release, self)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            tmp.write_text(text)
            os.replace(tmp, path)
        except OSError as exc:
            raise DeployError(f"cannot write {path}: {exc.strerror or exc}") from None
        shown = os.path.relpath(path, release.repo_root)
        if not self.apply:
            return f"rendered {shown} (apply with: kubectl apply -f {shown})"
        try:
            proc = subprocess.run(
                ["kubectl", "apply", "-f", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
            )
        except FileNotFoundError:
            raise DeployError("kubectl is not installed or not on PATH") from None
        sys.stderr.write(proc.stdout.decode("utf-8", "replace"))
        if proc.returncode != 0:
            raise DeployError(f"kubectl apply -f {shown} exited with code {proc.returncode}")
        return f"applied {shown}"


def dns_name(text: str) -> str:
    """A Kubernetes object name (RFC 1123 label) made from an artifact or env name."""
    name = _DNS_BAD.sub("-", text.lower()).strip("-")
    return name[:63].rstrip("-") or "model"


def label_value(text: str) -> str:
    """A label value: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends."""
    return _LABEL_BAD.sub("_", text)[:63].strip("_.-")


def render(release: Release, target: KubernetesTarget) -> str:
    """The manifest text (YAML; every string is JSON-quoted, which YAML reads as is)."""
    base = target.name or dns_name(f"{release.artifact}-{release.env}")
    labels = {
        "app.kubernetes.io/name": base,
        "app.kubernetes.io/managed-by": "gitmodel",
        "gitmodel.io/env": label_value(release.env),
    }
    annotations = {
        "gitmodel.io/artifact": release.artifact,
        "gitmodel.io/version": release.version,
        "gitmodel.io/tag": release.tag,
        "gitmodel.io/commit": release.commit,
    }
    data = {
        "MODEL_NAME": release.artifact,
        "MODEL_VERSION": release.version,
        "MODEL_HASH": release.algo,
        "MODEL_OID": release.oid,
        "MODEL_PATH": release.path,
    }
    if release.object_url:
        data["MODEL_URL"] = release.object_url
    meta: dict[str, Any] = {"name": f"{base}-model"}
    if target.namespace:
        meta["namespace"] = target.namespace
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {**meta, "labels": labels, "annotations": annotations},
        "data": data,
    }
    container: dict[str, Any] = {
        "name": "model",
        "image": target.image,
        "envFrom": [{"configMapRef": {"name": f"{base}-model"}}],
    }
    if target.port:
        container["ports"] = [{"containerPort": target.port}]
    selector = {k: labels[k] for k in ("app.kubernetes.io/name", "gitmodel.io/env")}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**meta, "name": base, "labels": labels, "annotations": annotations},
        "spec": {
            "replicas": target.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": {**labels, "gitmodel.io/version": label_value(release.version)},
                    "annotations": {**annotations, "gitmodel.io/oid": release.oid},
                },
                "spec": {"containers": [container]},
            },
        },
    }
    header = (
        f"# Rendered by gitmodel deploy: {release.artifact} {release.version} in "
        f"{release.env} (tag {release.tag}). Do not edit; deploy again instead.\n"
    )
    return header + to_yaml(config_map) + "---\n" + to_yaml(deployment)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists, strings, ints and bools."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for raw, item in value.items():
            key = raw if _PLAIN_KEY.fullmatch(raw) else json.dumps(raw)
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        for item in value:
            body = to_yaml(item, indent + 1)
            lines.append(f"{pad}- {body.lstrip()}")
        return "".join(lines)
    return f"{pad}{_scalar(value)}\n"


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value)
