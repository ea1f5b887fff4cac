"""One error family. Every error is a one-line message that names what is wrong and,
where there is one, the command that fixes it. The CLI prints ``str(error)`` and exits
with ``error.exit_code``; no traceback unless ``--debug``."""

from __future__ import annotations

# Exit codes (DESIGN §8).
EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class GitModelError(Exception):
    """Base of every error gitmodel raises on purpose."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} (run: {self.fix})"
        return self.message


class UsageError(GitModelError):
    """The command line or the arguments make no sense."""

    exit_code = EXIT_USAGE


class ConfigError(GitModelError):
    """A config file is malformed or names something unknown."""

    exit_code = EXIT_USAGE


class NotARepositoryError(UsageError):
    """Run outside a Git work tree, or in a repo without ``gitmodel init``."""


class PointerError(GitModelError):
    """A pointer file is malformed. Names the file and the line."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


class ManifestError(GitModelError):
    """A directory manifest is malformed or unsafe (e.g. a path escaping the directory)."""


class UnsafePathError(GitModelError):
    """A path would lead outside the repository or the cache."""


class ObjectMissingError(GitModelError):
    """An object is in neither the cache nor any remote asked."""


class CorruptObjectError(GitModelError):
    """An object's bytes do not match its name."""


class ModifiedFileError(GitModelError):
    """Refusing to overwrite a workspace file whose bytes are not safe in the cache."""


class GitError(GitModelError):
    """A git command failed."""


class RemoteError(GitModelError):
    """A remote failed: unreachable, bad credentials, missing bucket, transfer error."""


class RegistryError(GitModelError):
    """A registry operation is impossible (unknown artifact, version, stage...)."""


class MonitorError(GitModelError):
    """A monitoring store or rule problem."""
