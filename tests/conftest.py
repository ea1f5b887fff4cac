"""Test configuration shared by every suite.

The remotes kit (real storage servers on loopback, see ../shared/remotes/README.md)
lives beside the clone, in ``../shared``; when it is there its pytest plugin
provides the ``remote_servers`` and ``fsspec_remote`` fixtures used by
tests/contract/. Without it the contract suite is skipped (or fails, with
REMOTES_REQUIRED=1).
"""

from __future__ import annotations

import sys
from pathlib import Path

KIT_PARENT = Path(__file__).resolve().parents[2] / "shared"
HAVE_REMOTES_KIT = (KIT_PARENT / "remotes" / "fixtures.py").is_file()

if HAVE_REMOTES_KIT:
    sys.path.insert(0, str(KIT_PARENT))
    pytest_plugins = ["remotes.fixtures"]
