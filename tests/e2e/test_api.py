"""gitmodel.api: the Python front end, in a real repository."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.conftest import Runner, write

SCRIPT = """
import gitmodel.api as gm
from pathlib import Path

Path("m.bin").write_bytes(b"v1" * 1000)
gm.add(["m.bin"], metrics={"accuracy": 0.9})
import subprocess
subprocess.run(["git", "commit", "-qm", "v1"], check=True)
gm.registry.register("churn", path="m.bin")
gm.registry.deploy("churn", "prod", allow_local=True)
Path("m.bin").write_bytes(b"v2" * 1000)
gm.add(["m.bin"], metrics={"accuracy": 0.7})
subprocess.run(["git", "commit", "-qm", "v2"], check=True)
gm.registry.register("churn", path="m.bin")
gm.registry.deploy("churn", "prod", allow_local=True)
gm.registry.rollback("churn", "prod", reason="worse", allow_local=True)
state = gm.registry.load()
summary = gm.push(all_tags=True)
gm.monitor.record("churn", "prod", {"accuracy": 0.88})
assert gm.read("m.bin", rev="churn@v0.1.0") == b"v1" * 1000
assert "registry" in dir(gm) and "deploy" in dir(gm.registry)
print("pushed", summary[0].transferred + summary[0].skipped)
"""


def test_python_api_covers_registry_transfer_and_monitoring(
    gm_repo: Path, run: Runner, tmp_path: Path
) -> None:
    run("gitmodel", "remote", "add", "store", str(tmp_path / "store"), "--default")
    run("git", "commit", "-qm", "remote")
    result = run(sys.executable, "-c", SCRIPT)
    assert result.stdout.strip() == "pushed 2"
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout.strip() == "v0.1.0"
    write(gm_repo / "unused", b"")
