"""Remotes: object stores and file servers that hold copies of cache objects.

A remote mirrors the cache layout, ``<root>/<algo>/<2 hex>/<rest>``, on any fsspec
backend. Supported URLs (details and options in docs/remotes.md)::

    /srv/models  file:///srv/models        local or mounted directory
    s3://bucket/prefix                     Amazon S3 and compatibles (s3fs)
    gs://bucket/prefix                     Google Cloud Storage (gcsfs)
    az://container/prefix  azure://...     Azure Blob Storage (adlfs)
    ssh://user@host:22/abs/path  sftp://   SFTP (sshfs)
    webdav://host/path  webdavs://host     WebDAV over http / https (webdav4)
    http://host/path  https://host/path    read-only

Guarantees, for every backend:

- a reader never sees a partial object under its final name: object stores (S3,
  GCS, Azure) publish an object only when its single PUT or its multipart /
  resumable / block-list upload is completed, so the object is written directly;
  file servers (local, SFTP, WebDAV) get a temporary name under ``<root>/tmp/``
  that is renamed into place once complete;
- the bytes uploaded are hashed on the way and must hash to the object id, so a
  damaged cache object is never spread;
- downloads are hashed while they stream into the cache; a mismatch leaves nothing;
- listings are untrusted: every name is checked with ``is_valid_oid``;
- backend errors become one-line ``RemoteError``s that name the remote and the fix
  and never contain credentials; transient errors are retried with bounded
  exponential backoff.

fsspec and the backends are imported on first use, never at import time.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast
from urllib.parse import unquote, urlsplit

from gitmodel.errors import (
    ConfigError,
    CorruptObjectError,
    GitModelError,
    ObjectMissingError,
    RemoteError,
)
from gitmodel.hashing import CHUNK_SIZE, hash_bytes, is_valid_oid, new_hasher

if TYPE_CHECKING:
    from gitmodel.storage.cache import Cache

T = TypeVar("T")
BytesProgress = Callable[[int], object] | None

TMP_DIR = "tmp"
# Fewer objects than this are checked one by one (one HEAD/stat each); more are
# found by listing their 2-hex prefix directories (one call per prefix).
LIST_THRESHOLD = 16
LIST_THREADS = 8
# Default parallel copies to and from a local directory (see Remote.default_jobs).
LOCAL_JOBS = 8
# Retries on top of each backend's own: s3fs/botocore, gcsfs and the Azure SDK
# already retry transient HTTP errors, so one more attempt covers what they do not
# (e.g. a reset in the middle of a streamed body); the others get three.
DEFAULT_RETRIES = {"s3": 1, "gs": 1, "az": 1}
FALLBACK_RETRIES = 3
BACKOFF_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
# Objects up to this size go to object stores in a single PUT, from memory, and come
# back in a single GET.
SINGLE_PUT_MAX = 8 * 2**20
SINGLE_GET_MAX = SINGLE_PUT_MAX
# S3 allows 10,000 parts per multipart upload; keep a margin.
S3_MAX_PARTS = 9000
S3_BLOCK_SIZE = 16 * 2**20
# Parts of one multipart upload sent in parallel (each S3_BLOCK_SIZE in memory).
S3_PARTS_IN_FLIGHT = 4

_PROTOCOLS = {
    "file": "file",
    "s3": "s3",
    "gs": "gs",
    "gcs": "gs",
    "az": "az",
    "azure": "az",
    "abfs": "az",
    "ssh": "sftp",
    "sftp": "sftp",
    "webdav": "webdav",
    "webdavs": "webdav",
    "http": "http",
    "https": "http",
}
_EXTRA = {"s3": "s3", "gs": "gcs", "az": "azure", "sftp": "ssh", "webdav": "webdav", "http": "http"}
_OBJECT_STORES = ("s3", "gs", "az")
_BUCKET_WORD = {"s3": "bucket", "gs": "bucket", "az": "container"}
_CREATE_BUCKET = {
    "s3": "aws s3 mb s3://{bucket}",
    "gs": "gcloud storage buckets create gs://{bucket}",
    "az": "az storage container create --name {bucket}",
}
_AUTH_FIX = {
    "s3": "aws configure, or set AWS_PROFILE or the remote's profile option",
    "gs": "gcloud auth application-default login",
    "az": "az login, or set AZURE_STORAGE_CONNECTION_STRING",
    "sftp": "ssh-add KEYFILE, or gitmodel remote modify NAME key_filename KEYFILE",
    "webdav": "gitmodel remote modify NAME username USER --local, and the same for password",
    "http": "set headers for the remote in .git/gitmodel/config.toml",
    "file": "check the directory's permissions",
}
# Option names whose values are secrets: never shown, and scrubbed from messages.
_SECRET_OPTION = re.compile(
    r"secret|password|passphrase|token|connection_string|sas|credential"
    r"|account_key|^key$|client_secret",
    re.IGNORECASE,
)
_SECRET_TEXT = [
    (
        re.compile(
            r"(?i)\b(AccountKey|SharedAccessSignature|sig|password|secret|token|"
            r"X-Amz-Signature|X-Amz-Credential|X-Goog-Signature)=([^;&\s'\"]+)"
        ),
        r"\1=***",
    ),
    (re.compile(r"(?i)\b(Authorization:\s*)(\S+\s+)?\S+"), r"\1***"),
    (re.compile(r"://[^/@\s'\"]+@"), "://"),
]

_AUTH_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AuthorizationFailure",
    "AuthenticationFailed",
    "AuthorizationPermissionMismatch",
    "InvalidClientTokenId",
    "AllAccessDisabled",
    "InvalidAuthenticationInfo",
    "AccountIsDisabled",
}
_AUTH_TYPES = {
    "PermissionError",
    "PermissionDenied",
    "ClientAuthenticationError",
    "DefaultCredentialsError",
    "RefreshError",
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "ProfileNotFound",
    "KeyImportError",
    "ForbiddenOperation",
}
_NO_BUCKET_CODES = {"NoSuchBucket", "ContainerNotFound", "NoSuchContainer"}
_NO_BUCKET_TEXT = ("bucket does not exist", "container does not exist", "No such container")
_TRANSIENT_CODES = {
    "SlowDown",
    "InternalError",
    "RequestTimeout",
    "ServiceUnavailable",
    "ServerBusy",
    "OperationTimedOut",
    "Throttling",
    "ThrottlingException",
    "RequestTimeTooSkewed",
}
# Cannot connect at all: refused, unknown host, connect timeout.
_UNREACHABLE_TYPES = {
    "ConnectionRefusedError",
    "gaierror",
    "herror",
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ClientConnectorError",
    "ServiceRequestError",
    "ConnectError",
    "ConnectTimeout",
    "SFTPNoConnection",
}
# Broken or slow in flight: worth another attempt.
_TRANSIENT_TYPES = {
    "ConnectionError",
    "TimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ServerDisconnectedError",
    "ClientOSError",
    "ServerTimeoutError",
    "ClientPayloadError",
    "ReadError",
    "WriteError",
    "RemoteProtocolError",
    "TimeoutException",
    "NetworkError",
    "ServiceResponseError",
    "ConnectionLost",
    "DisconnectError",
    "ChannelOpenError",
    "IncompleteRead",
    "ProtocolError",
    "ResponseStreamingError",
    "BadGatewayError",
    "SFTPConnectionLost",
    "BrokenPipeError",
}
_MISSING_TYPES = {"FileNotFoundError", "ResourceNotFound", "ResourceNotFoundError", "NoSuchKey"}


class RemoteAccessError(RemoteError):
    """The remote as a whole is unusable (credentials, bucket, network, read-only).

    Retrying other objects would fail the same way, so a transfer stops at the first.
    ``kind`` is ``auth``, ``no_bucket``, ``unreachable`` or ``""``.
    """

    def __init__(self, message: str, fix: str | None = None, kind: str = "") -> None:
        super().__init__(message, fix=fix)
        self.kind = kind


class Cancelled(Exception):
    """Raised inside a transfer worker whose transfer was cancelled (Ctrl-C, fatal error)."""


def redact_url(url: str) -> str:
    """``url`` without user, password and query string, for messages and logs."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


@dataclass(frozen=True)
class _Location:
    """Where a remote's objects are: pure result of parsing a URL and its options."""

    protocol: str  # fsspec protocol: file, s3, gs, az, sftp, webdav, http
    fs_url: str  # URL handed to fsspec.url_to_fs
    fs_options: dict[str, Any] = field(repr=False)
    display: str  # safe to print: no credentials
    host: str  # what "cannot connect" names
    secrets: tuple[str, ...] = field(default=(), repr=False)


def parse_location(
    url: str,
    options: Mapping[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> _Location:
    """Map a remote URL and its config options to fsspec arguments (no I/O).

    The options of ``gitmodel remote add/modify`` are translated (``endpoint_url``,
    ``profile``, ``region``, ``username``, ``port``, ``key_filename``, ``known_hosts``,
    ``timeout``, ...); any other option is passed to the fsspec backend unchanged, so
    every backend setting stays reachable. ``jobs``, ``retries`` and ``fsync`` are
    gitmodel's own.
    A relative local path is taken relative to ``base_dir`` (the repository root),
    else to the current directory.
    """
    opts = dict(options or {})
    for own in ("retries", "jobs", "fsync", "url"):
        opts.pop(own, None)
    secrets = [str(v) for k, v in opts.items() if _SECRET_OPTION.search(k) and v]
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    protocol = _PROTOCOLS.get(scheme)
    if protocol is None:
        known = ", ".join(sorted(f"{s}://" for s in _PROTOCOLS))
        raise ConfigError(
            f"unsupported remote URL {redact_url(url)!r}; use a path or one of {known}"
        )
    timeout = opts.pop("timeout", None)
    if protocol == "file":
        path = url[len("file://") :] if url.startswith("file://") else url
        local = Path(unquote(path)).expanduser()
        if not local.is_absolute() and base_dir is not None:
            local = Path(base_dir) / local
        root = local.absolute().as_posix().rstrip("/") or "/"
        return _Location("file", root, opts, root, "localhost")
    parts = urlsplit(url)
    if parts.password:
        secrets.append(unquote(parts.password))
    display = redact_url(url).rstrip("/")
    host = parts.hostname or ""
    path = unquote(parts.path).rstrip("/")
    if protocol in _OBJECT_STORES:
        if not parts.hostname:
            raise ConfigError(f"remote URL {display!r} names no {_BUCKET_WORD[protocol]}")
        fs_url = f"{protocol}://{parts.hostname}{path}"
        # Listings of a shared remote go stale as others write: never cache them.
        opts.setdefault("use_listings_cache", False)
        if protocol == "s3":
            # Parts of multipart uploads and read-ahead blocks: s3fs's 50 MiB buffers
            # (several copies of them in flight) put a 2 GiB push over 300 MiB of
            # memory; 16 MiB parts are still 2x what the AWS CLI uses.
            opts.setdefault("default_block_size", S3_BLOCK_SIZE)
            _rename(opts, "region", "client_kwargs.region_name")
            if timeout is not None:
                opts["config_kwargs"] = {
                    "connect_timeout": timeout,
                    "read_timeout": timeout,
                    **opts.get("config_kwargs", {}),
                }
        if protocol == "gs":
            if opts.pop("anon", False):
                opts["token"] = "anon"
            _rename(opts, "credentials_file", "token")
        if protocol == "az" and timeout is not None:
            opts.setdefault("connection_timeout", timeout)
        endpoint = opts.get("endpoint_url") or ""
        if endpoint:
            display = f"{display} at {redact_url(str(endpoint))}"
            host = urlsplit(str(endpoint)).netloc or str(endpoint)
        else:
            host = {"s3": "S3", "gs": "Google Cloud Storage", "az": "Azure Blob Storage"}[protocol]
        return _Location(protocol, fs_url, opts, display, host, tuple(secrets))
    if not host:
        raise ConfigError(f"remote URL {display!r} names no host")
    if protocol == "sftp":
        opts.setdefault("host", host)
        if parts.port:
            opts.setdefault("port", parts.port)
        _rename(opts, "user", "username")
        if parts.username:
            opts.setdefault("username", unquote(parts.username))
        if parts.password:
            opts.setdefault("password", unquote(parts.password))
        key_file = opts.pop("key_filename", None) or opts.pop("key_file", None)
        if key_file:
            keys = [key_file] if isinstance(key_file, str) else list(key_file)
            opts["client_keys"] = [os.path.expanduser(k) for k in keys]
        if "known_hosts" in opts and opts["known_hosts"] in (False, "", "none", "None"):
            opts["known_hosts"] = None  # no host key check: test servers only
        elif isinstance(opts.get("known_hosts"), str):
            opts["known_hosts"] = os.path.expanduser(opts["known_hosts"])
        if timeout is not None:
            opts.setdefault("connect_timeout", timeout)
        where = f"{host}:{opts['port']}" if opts.get("port") else host
        return _Location(
            "sftp", f"sftp://{host}{path or '/'}", opts, display, where, tuple(secrets)
        )
    if protocol == "webdav":
        http = "https" if scheme == "webdavs" else "http"
        user = (
            opts.pop("username", None)
            or opts.pop("user", None)
            or (unquote(parts.username) if parts.username else None)
        )
        password = opts.pop("password", None) or (
            unquote(parts.password) if parts.password else None
        )
        if user is not None:
            opts["auth"] = (user, password or "")
        if timeout is not None:
            opts.setdefault("timeout", timeout)
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        opts["base_url"] = f"{http}://{netloc}"
        return _Location(
            "webdav", f"webdav://{path.lstrip('/')}", opts, display, netloc, tuple(secrets)
        )
    # http(s): read-only; the root is the URL itself (without credentials).
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return _Location(
        "http", f"{parts.scheme}://{netloc}{path}", opts, display, netloc, tuple(secrets)
    )


def _rename(opts: dict[str, Any], old: str, new: str) -> None:
    """Move option ``old`` to ``new`` (``a.b`` is a key in a nested dict)."""
    if old not in opts:
        return
    value = opts.pop(old)
    if "." in new:
        outer, inner = new.split(".", 1)
        opts.setdefault(outer, {})
        opts[outer] = {**opts[outer], inner: value}
    else:
        opts.setdefault(new, value)


class Remote:
    """One remote: a named location holding objects under ``<root>/<algo>/<xx>/<rest>``.

    ``options`` come from the remote's config table (``url`` is ignored there); see
    docs/remotes.md. ``base_dir`` anchors a relative local path (pass the repository
    root). ``backoff`` is the first retry delay in seconds. Every method is safe to
    call from several threads.
    """

    def __init__(
        self,
        name: str,
        url: str,
        options: Mapping[str, Any] | None = None,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.name = name
        self._location = parse_location(url, options, base_dir)
        self.protocol = self._location.protocol
        retries = (options or {}).get("retries")
        try:
            self.retries = (
                int(retries)
                if retries is not None
                else DEFAULT_RETRIES.get(self.protocol, FALLBACK_RETRIES)
            )
            jobs = (options or {}).get("jobs")
            self.jobs: int | None = int(jobs) if jobs else None  # its --jobs default
        except (TypeError, ValueError):
            raise ConfigError(f"remote {name}: retries and jobs must be integers") from None
        if self.retries < 0 or (self.jobs is not None and self.jobs < 1):
            raise ConfigError(f"remote {name}: retries must be >= 0 and jobs >= 1")
        # Local directories: fsync each object before its rename (off by default, as
        # for the cache and as Git, DVC and cp do; see docs/decisions.md).
        self.fsync = _flag((options or {}).get("fsync", False))
        self.backoff = backoff
        self._fs: Any = None
        self._root = ""
        self._lock = threading.RLock()  # _connect retries, and a retry may reconnect
        self._made_dirs: set[str] = set()

    def __repr__(self) -> str:
        return f"Remote({self.name!r}, {self.url!r})"

    # --- identity -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The remote's location, safe to print (no credentials)."""
        return self._location.display

    @property
    def state_key(self) -> str:
        """Key of this location in the state db's presence memo.

        The location, not the name: a remote renamed or re-pointed elsewhere must
        not inherit what another location holds.
        """
        return f"{self.protocol}:{self.url}"

    @property
    def read_only(self) -> bool:
        return self.protocol == "http"

    @property
    def fs(self) -> Any:
        """The fsspec filesystem (connected on first use)."""
        return self._connect()[0]

    @property
    def root(self) -> str:
        """The root as a path inside :attr:`fs`."""
        if self.protocol == "file":
            return self._location.fs_url  # no need to import fsspec for a path
        return self._connect()[1]

    @property
    def default_jobs(self) -> int:
        """Parallel transfers when ``--jobs`` is not given: the remote's ``jobs`` option,
        else few for a local directory (each copy is a handful of system calls, and more
        threads only fight over the GIL), many for the network."""
        if self.jobs is not None:
            return self.jobs
        if self.protocol == "file":
            return LOCAL_JOBS
        return 4 * (os.cpu_count() or 1)

    def object_path(self, algo: str, oid: str) -> str:
        """Path of an object inside :attr:`fs`; refuses invalid ids."""
        if not is_valid_oid(algo, oid):
            raise CorruptObjectError(f"refusing invalid {algo} object id {oid[:80]!r}")
        return f"{self.root}/{algo}/{oid[:2]}/{oid[2:]}"

    # --- connection -----------------------------------------------------------------

    def _connect(self) -> tuple[Any, str]:
        with self._lock:
            if self._fs is None:
                self._fs, self._root = self._retry(self._open_fs, "open the remote")
            return self._fs, self._root

    def _open_fs(self) -> tuple[Any, str]:
        loc = self._location
        try:
            import fsspec

            # fsspec shares one instance per URL and options: its client (a boto
            # session costs a second to build) is made once per process.
            fs, root = fsspec.url_to_fs(loc.fs_url, **loc.fs_options)
        except ImportError as exc:
            raise RemoteAccessError(
                f"remote {self.name} ({self.url}) needs a backend that is not installed "
                f"({self._scrub(str(exc))})",
                fix=f"pip install 'gitmodel[{_EXTRA.get(loc.protocol, 'all')}]'",
            ) from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"remote {self.name} ({self.url}): invalid options: {self._scrub(str(exc))}"
            ) from None
        if loc.protocol == "http":
            root = loc.fs_url
        root = str(root).rstrip("/") or "/"
        return fs, root

    def _reconnect(self, broken: Any) -> None:
        """Drop a filesystem whose connection failed, so the next attempt reconnects."""
        if self.protocol != "sftp":
            return  # HTTP-based clients reconnect by themselves
        with self._lock:
            if broken is not None and self._fs is broken:
                self._fs = None
                # A dead SSH connection stays dead: evict the shared instance too.
                cache = getattr(type(broken), "_cache", None)
                if isinstance(cache, dict):
                    cache.pop(getattr(broken, "_fs_token", None), None)

    def check(self, *, writable: bool = False) -> None:
        """Fail early, with the fix, if the remote cannot be used.

        Object stores: the bucket/container must exist (never created here).
        Directories (local, SFTP, WebDAV) are created when ``writable``.
        """
        if writable and self.read_only:
            raise RemoteAccessError(
                f"remote {self.name} ({self.url}) is read-only (http); push to another remote"
            )
        if self.protocol == "http":
            return
        if self.protocol == "file":
            self._retry(lambda: self._check_local(writable), "open the remote")
            return

        def probe() -> None:
            fs, root = self._connect()
            if self.protocol in _OBJECT_STORES:
                bucket = root.split("/", 1)[0]
                try:
                    fs.info(bucket)
                except FileNotFoundError:
                    raise self._no_bucket(bucket) from None
                except Exception as exc:
                    # Credentials limited to a prefix may not look at the bucket
                    # itself; the transfer will tell whether they suffice.
                    if classify(exc) != "auth":
                        raise
                return
            try:
                fs.info(root)
            except FileNotFoundError:
                if writable:
                    self._makedirs(root)

        self._retry(probe, "open the remote")

    def _check_local(self, writable: bool) -> None:
        root = self.root
        if not os.path.isdir(root):
            if not os.path.exists(root):
                if writable:
                    os.makedirs(root, exist_ok=True)
                return
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", root)

    # --- presence ---------------------------------------------------------------------

    def exists_many(self, algo: str, oids: Iterable[str]) -> set[str]:
        """The subset of ``oids`` present on the remote (batched by prefix listing)."""
        return set(self.sizes(algo, oids))

    def sizes(self, algo: str, oids: Iterable[str]) -> dict[str, int]:
        """Size of each of ``oids`` present on the remote; absent ones are left out.

        A size of -1 means the backend did not report one.
        """
        wanted = {o for o in oids if is_valid_oid(algo, o)}
        if not wanted:
            return {}
        if len(wanted) < LIST_THRESHOLD or self.protocol == "http":
            found = self._parallel(lambda o: (o, self._stat(algo, o)), sorted(wanted))
            return {oid: size for oid, size in found if size is not None}
        prefixes = sorted({o[:2] for o in wanted})
        out: dict[str, int] = {}
        try:
            listings = self._parallel(lambda p: self._list_prefix(algo, p), prefixes)
        except RemoteAccessError as exc:
            if exc.kind != "auth":
                raise
            # Allowed to read objects but not to list (a common least-privilege
            # policy): ask for each object instead.
            found = self._parallel(lambda o: (o, self._stat(algo, o)), sorted(wanted))
            return {oid: size for oid, size in found if size is not None}
        for listing in listings:
            out.update((oid, size) for oid, size in listing.items() if oid in wanted)
        return out

    def iter_objects(self, algo: str) -> Iterator[tuple[str, int]]:
        """Every valid ``(oid, size)`` under ``<root>/<algo>``; junk names are skipped."""

        def list_algo() -> list[str]:
            fs, root = self._connect()
            try:
                entries = fs.ls(f"{root}/{algo}", detail=False, **self._fresh)
            except FileNotFoundError:
                return []
            names = [str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries]
            return sorted(n for n in names if re.fullmatch(r"[0-9a-f]{2}", n))

        for prefix in self._retry(list_algo, "list objects"):
            yield from sorted(self._list_prefix(algo, prefix).items())

    def _stat(self, algo: str, oid: str) -> int | None:
        path = self.object_path(algo, oid)
        if self.protocol == "file":
            return self._retry(lambda: _local_size(path), f"check object {oid[:12]}")

        def stat() -> int | None:
            fs = self.fs
            with contextlib.suppress(Exception):
                fs.invalidate_cache(path)
            try:
                info = fs.info(path)
            except FileNotFoundError:
                return None
            if info.get("type", "file") != "file":
                return None
            return _size(info)

        return self._retry(stat, f"check object {oid[:12]}")

    def _list_prefix(self, algo: str, prefix: str) -> dict[str, int]:
        """Valid objects in one prefix directory; names are untrusted input."""

        if self.protocol == "file":
            path = f"{self.root}/{algo}/{prefix}"
            return self._retry(lambda: _local_listing(path, algo, prefix), f"list {algo}/{prefix}")

        def listing() -> dict[str, int]:
            fs, root = self._connect()
            path = f"{root}/{algo}/{prefix}"
            # Something else may have written since the last listing.
            with contextlib.suppress(Exception):
                fs.invalidate_cache(path)
            try:
                entries = fs.ls(path, detail=True, **self._fresh)
            except FileNotFoundError:
                return {}
            found: dict[str, int] = {}
            for entry in entries:
                if not isinstance(entry, Mapping) or entry.get("type") != "file":
                    continue
                name = str(entry.get("name", "")).rstrip("/").rsplit("/", 1)[-1]
                oid = prefix + name
                if is_valid_oid(algo, oid):
                    found[oid] = _size(entry)
            return found

        return self._retry(listing, f"list {algo}/{prefix}")

    @property
    def _fresh(self) -> dict[str, Any]:
        # Listings must not come from a cache; HTTP would send the flag to the server.
        return {} if self.protocol == "http" else {"refresh": True}

    def _parallel(self, fn: Callable[[Any], T], items: list[Any]) -> list[T]:
        if len(items) <= 1:
            return [fn(i) for i in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(
            min(LIST_THREADS, len(items)), thread_name_prefix="gitmodel-list"
        ) as pool:
            return list(pool.map(fn, items))

    # --- upload -----------------------------------------------------------------------

    def upload(
        self,
        algo: str,
        oid: str,
        local_path: str | os.PathLike[str],
        progress: BytesProgress = None,
        *,
        cancel: threading.Event | None = None,
        replace: bool = False,
    ) -> int:
        """Upload one object from a local file (normally the cache); returns its size.

        The bytes must hash to ``oid`` or nothing is published (CorruptObjectError).
        Transient failures are retried from the start of the file. ``replace``: an
        object already there is damaged and must be replaced (every backend but WebDAV
        replaces anyway; WebDAV otherwise keeps what it has).
        """
        self.object_path(algo, oid)  # validate before any I/O
        once = _OnceProgress(progress)
        if self.protocol == "file":
            return self._retry(
                lambda: self._upload_local(algo, oid, local_path, once, cancel),
                f"upload object {oid[:12]}",
                cancel=cancel,
            )

        def attempt() -> int:
            with os.fdopen(_open_cached(local_path, oid), "rb") as src:
                size = os.fstat(src.fileno()).st_size
                local = _LocalSource(src, local_path)
                return self.upload_stream(
                    algo,
                    oid,
                    cast(BinaryIO, local),
                    once,
                    size=size,
                    cancel=cancel,
                    replace=replace,
                )

        result = self._retry(attempt, f"upload object {oid[:12]}", cancel=cancel)
        return result

    def _upload_local(
        self,
        algo: str,
        oid: str,
        local_path: str | os.PathLike[str],
        progress: _OnceProgress,
        cancel: threading.Event | None,
    ) -> int:
        """A local file into a local directory: the kernel copies it to ``<root>/tmp/``,
        the copy is hashed, and only a copy that hashes to ``oid`` is renamed into place."""
        from gitmodel.storage import filecopy

        progress.restart()
        _stop_if_cancelled(cancel)
        src = _open_cached(local_path, oid)
        try:
            size = os.fstat(src).st_size
            data: bytes | None = None
            if size <= filecopy.SMALL:
                # Read and checked before anything is written on the remote.
                try:
                    data = filecopy.read_whole(src, size)
                except OSError as exc:
                    raise GitModelError(
                        f"cannot read {local_path}: {exc.strerror or exc}"
                    ) from None
                _check_local_object(hash_bytes(data, algo), oid, len(data))

            def write(fd: int) -> None:
                if data is not None:
                    filecopy.write_whole(fd, data)
                    progress(len(data))
                    return
                stoppable = _Stoppable(progress, cancel)
                got = filecopy.copy_and_hash_file(src, fd, size, algo, stoppable)
                _check_local_object(got, oid, stoppable.count)

            self._publish_local(algo, oid, write)
        finally:
            os.close(src)
        return size

    def _publish_local(self, algo: str, oid: str, write: Callable[[int], None]) -> None:
        """Write an object with ``write(fd)`` to a temporary in ``<root>/tmp/``, make it
        read-only, and rename it into place; on any failure remove the temporary."""
        from gitmodel.storage import filecopy

        final = self.object_path(algo, oid)
        tmp_dir = f"{self.root}/{TMP_DIR}"
        tmp = f"{tmp_dir}/{algo}-{oid[:16]}-{uuid.uuid4().hex[:12]}.tmp"
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o444)
        except FileNotFoundError:
            os.makedirs(tmp_dir, exist_ok=True)
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o444)

        def write_read_only(fd: int) -> None:
            write(fd)
            os.fchmod(fd, 0o444)  # whatever the umask: a shared remote stays readable

        filecopy.publish(fd, tmp, final, write_read_only, fsync=self.fsync)

    def upload_stream(
        self,
        algo: str,
        oid: str,
        src: BinaryIO,
        progress: BytesProgress = None,
        *,
        size: int | None = None,
        cancel: threading.Event | None = None,
        replace: bool = False,
    ) -> int:
        """Upload one object from a readable stream, once (a stream cannot be rewound).

        Nothing appears under the object's final name unless every byte was read,
        sent, and hashed to ``oid``. An error raised by ``src`` is re-raised as is.
        """
        if self.read_only:
            raise RemoteAccessError(
                f"remote {self.name} ({self.url}) is read-only (http); push to another remote"
            )
        final = self.object_path(algo, oid)
        meter = _Meter(src, algo, size, progress, cancel)
        try:
            if self.protocol in _OBJECT_STORES:
                self._put_object(final, meter, algo, oid, size)
            else:
                self._put_and_rename(final, meter, algo, oid, size, replace)
        except BaseException:
            if meter.source_error is not None:
                raise meter.source_error from None
            raise
        return meter.count

    def _put_object(self, final: str, meter: _Meter, algo: str, oid: str, size: int | None) -> None:
        # S3, GCS, Azure: an object becomes visible only when its upload is
        # completed: a single PUT, CompleteMultipartUpload (S3), the final chunk of a
        # resumable upload (GCS), the block-list commit (Azure). So objects are
        # written under their final name: small ones read, checked, then sent in
        # one PUT; large ones streamed, checked before close(), and abandoned
        # (never closed) on failure.
        fs = self.fs
        if size is not None and size <= SINGLE_PUT_MAX:
            chunks: list[bytes] = []
            total = 0
            while total <= size:  # one byte more than announced, to see the end
                chunk = meter.read(size + 1 - total)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            data = b"".join(chunks)
            meter.check(algo, oid, size)
            fs.pipe_file(final, data)
            return
        if self.protocol == "s3" and size:
            self._put_s3_parts(fs, final, meter, algo, oid, size)
            return
        f = fs.open(final, "wb")
        try:
            _pump(meter, f)
            meter.check(algo, oid, size)
        except BaseException:
            # S3 bills the parts of an unfinished multipart upload until it is
            # aborted; an unfinished GCS resumable upload or Azure block list is
            # never visible and expires by itself (and the GCS emulator answers
            # the cancel request with errors that gcsfs retries for half a minute).
            _abandon(f, discard=self.protocol == "s3")
            raise
        f.close()

    def _put_s3_parts(
        self, fs: Any, final: str, meter: _Meter, algo: str, oid: str, size: int
    ) -> None:
        """A large object to S3 as a multipart upload whose parts travel in parallel
        (s3fs's file object sends one at a time), read and hashed in order through
        ``meter``. Completed only once every byte hashed to ``oid``; aborted (so its
        parts are not billed) on any failure. At most S3_PARTS_IN_FLIGHT parts are in
        memory at once."""
        from concurrent.futures import Future, ThreadPoolExecutor

        bucket, key, _ = fs.split_path(final)
        block = getattr(fs, "default_block_size", S3_BLOCK_SIZE)
        part_size = max(block, -(-size // S3_MAX_PARTS))
        upload_id = fs.call_s3("create_multipart_upload", Bucket=bucket, Key=key)["UploadId"]
        try:
            sent: list[Future[Any]] = []
            with ThreadPoolExecutor(S3_PARTS_IN_FLIGHT, thread_name_prefix="gitmodel-part") as pool:
                try:
                    while data := _read_exactly(meter, part_size):
                        if len(sent) >= S3_PARTS_IN_FLIGHT:
                            sent[len(sent) - S3_PARTS_IN_FLIGHT].result()
                        sent.append(
                            pool.submit(
                                fs.call_s3,
                                "upload_part",
                                Bucket=bucket,
                                Key=key,
                                UploadId=upload_id,
                                PartNumber=len(sent) + 1,
                                Body=data,
                            )
                        )
                except BaseException:
                    for future in sent:
                        future.cancel()
                    raise
            meter.check(algo, oid, size)
            parts = [
                {"PartNumber": n, "ETag": future.result()["ETag"]}
                for n, future in enumerate(sent, start=1)
            ]
            fs.call_s3(
                "complete_multipart_upload",
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        with contextlib.suppress(Exception):
            fs.invalidate_cache(final)

    def _put_and_rename(
        self, final: str, meter: _Meter, algo: str, oid: str, size: int | None, replace: bool
    ) -> None:
        # Local, SFTP, WebDAV: write <root>/tmp/<unique>, then rename into place
        # (os.replace; SFTP posix-rename@openssh.com; WebDAV MOVE), each atomic on
        # the server. A failed upload removes its temporary.
        if self.protocol == "file":
            self._put_local(final, meter, algo, oid, size, f"{self.root}/{TMP_DIR}")
            return
        fs, root = self._connect()
        tmp_dir = f"{root}/{TMP_DIR}"
        self._ensure_dir(tmp_dir)
        tmp = f"{tmp_dir}/{algo}-{oid[:16]}-{uuid.uuid4().hex[:12]}.tmp"
        try:
            if self.protocol == "webdav":
                # A PUT cut off half way races with the server, which may create the
                # temporary after our DELETE: a small object is sent whole even when
                # the transfer is cancelled meanwhile, then removed.
                held = None
                if size is not None and size <= SINGLE_PUT_MAX:
                    held, meter.cancel = meter.cancel, None
                # A streaming PUT; fs.open("wb") would spool to a local temp file first.
                fs.client.upload_fileobj(
                    meter, tmp, overwrite=True, size=size, chunk_size=CHUNK_SIZE
                )
                if held is not None and held.is_set():
                    raise Cancelled
            else:
                with fs.open(tmp, "wb") as f:
                    _pump(meter, f)
            meter.check(algo, oid, size)
            self._rename(fs, tmp, final, replace)
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm_file(tmp)
            raise

    def _put_local(
        self, final: str, meter: _Meter, algo: str, oid: str, size: int | None, tmp_dir: str
    ) -> None:
        # Plain os calls rather than fsspec's LocalFileSystem: a temporary, fsynced
        # before the rename when the remote asks for it (``fsync = true``).
        os.makedirs(tmp_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{algo}-{oid[:16]}-", suffix=".tmp", dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                _pump(meter, out)
                meter.check(algo, oid, size)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _rename(self, fs: Any, tmp: str, final: str, replace: bool = False) -> None:
        parent = final.rsplit("/", 1)[0]
        for first in (True, False):
            try:
                if self.protocol == "webdav":
                    # MOVE, not fsspec's mv (COPY + DELETE, not atomic). No overwrite
                    # unless asked: an existing object has the same bytes (content
                    # addressing), unless it is damaged.
                    fs.client.move(tmp, final, overwrite=replace)
                else:
                    fs.mv(tmp, final)
                return
            except Exception as exc:
                if type(exc).__name__ == "ResourceAlreadyExists":
                    fs.rm_file(tmp)
                    return
                if not first:
                    raise
                # Usually the prefix directory does not exist yet: make it and try
                # again. Not memoised: another worker may have failed on the same
                # missing directory a moment before this one made it.
                self._makedirs(parent)

    def _ensure_dir(self, path: str) -> None:
        if path in self._made_dirs:
            return
        self._makedirs(path)

    def _makedirs(self, path: str) -> None:
        fs = self.fs
        with contextlib.suppress(FileExistsError):  # a race with another worker
            fs.makedirs(path, exist_ok=True)
        self._made_dirs.add(path)

    # --- download -----------------------------------------------------------------------

    def download(
        self,
        algo: str,
        oid: str,
        cache: Cache,
        progress: BytesProgress = None,
        *,
        size: int | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Fetch one object into ``cache``, hashed while it streams; returns its size.

        A corrupt or truncated object raises CorruptObjectError and leaves nothing in
        the cache; an absent one raises ObjectMissingError. ``size``, when known (from
        ``sizes``), sizes the reads: SFTP answers a read far beyond the end slowly.
        """
        path = self.object_path(algo, oid)
        once = _OnceProgress(progress)
        if self.protocol == "file":
            return self._retry(
                lambda: self._download_local(path, algo, oid, cache, once, cancel),
                f"download object {oid[:12]}",
                cancel=cancel,
            )
        if size is None and self.protocol == "sftp":
            size = self._stat(algo, oid)
        if size is not None and size < 0:
            size = None
        if size is not None and size <= SINGLE_GET_MAX and self.protocol in _OBJECT_STORES:
            return self._retry(
                lambda: self._download_whole(path, algo, oid, size, cache, once, cancel),
                f"download object {oid[:12]}",
                cancel=cancel,
            )

        def attempt() -> int:
            with self._open_path(path, oid, size) as f:
                meter = _Meter(f, algo, size, once, cancel)
                try:
                    return cache.add_stream(
                        cast(BinaryIO, meter), algo, expected_oid=oid, source=f"remote {self.name}"
                    )[1]
                except CorruptObjectError as exc:
                    if meter.source_error is not None:
                        raise meter.source_error from None
                    raise CorruptObjectError(
                        exc.message, fix=f"gitmodel verify --remote {self.name} --deep"
                    ) from None
                except GitModelError:
                    # The cache turns OSErrors into disk errors; one raised by the
                    # remote stream is a network error: let it be retried.
                    if meter.source_error is not None:
                        raise meter.source_error from None
                    raise

        return self._retry(attempt, f"download object {oid[:12]}", cancel=cancel)

    def _download_whole(
        self,
        path: str,
        algo: str,
        oid: str,
        size: int,
        cache: Cache,
        progress: _OnceProgress,
        cancel: threading.Event | None,
    ) -> int:
        """A small object of an object store in one GET: a file object would first ask
        for the object's details (s3fs sends a HEAD per open to pin the ETag), doubling
        the requests of a fetch of many small objects."""
        progress.restart()
        _stop_if_cancelled(cancel)
        try:
            data = self.fs.cat_file(path)
        except FileNotFoundError:
            raise self._missing(oid) from None
        progress(len(data))
        try:
            return cache.add_verified_bytes(data, algo, oid, source=f"remote {self.name}")
        except CorruptObjectError as exc:
            raise CorruptObjectError(
                exc.message, fix=f"gitmodel verify --remote {self.name} --deep"
            ) from None

    def _download_local(
        self,
        path: str,
        algo: str,
        oid: str,
        cache: Cache,
        progress: _OnceProgress,
        cancel: threading.Event | None,
    ) -> int:
        """An object of a local directory into the cache: a kernel copy, hashed (the
        copy, not the source) before it is renamed into place."""
        progress.restart()
        _stop_if_cancelled(cancel)
        try:
            src = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise self._missing(oid) from None
        try:
            return cache.add_copy(
                src,
                algo,
                oid,
                source=f"remote {self.name}",
                progress=_Stoppable(progress, cancel),
            )
        except CorruptObjectError as exc:
            raise CorruptObjectError(
                exc.message, fix=f"gitmodel verify --remote {self.name} --deep"
            ) from None
        finally:
            os.close(src)

    def hash_object(
        self,
        algo: str,
        oid: str,
        progress: BytesProgress = None,
        *,
        size: int | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[str, int]:
        """``(digest, size)`` of the object's bytes on the remote; nothing is stored."""
        path = self.object_path(algo, oid)
        once = _OnceProgress(progress)
        if size is not None and size < 0:
            size = None

        def attempt() -> tuple[str, int]:
            with self._open_path(path, oid, size) as f:
                meter = _Meter(f, algo, size, once, cancel)
                while meter.read(CHUNK_SIZE):
                    pass
                return meter.hexdigest(), meter.count

        return self._retry(attempt, f"read object {oid[:12]}", cancel=cancel)

    @contextlib.contextmanager
    def open(self, algo: str, oid: str) -> Iterator[BinaryIO]:
        """Stream an object's bytes (not verified: hash them, or use ``download``)."""
        path = self.object_path(algo, oid)
        stack = contextlib.ExitStack()
        f = self._retry(
            lambda: stack.enter_context(self._open_path(path, oid)), f"open object {oid[:12]}"
        )
        with stack:
            yield f

    @contextlib.contextmanager
    def _open_path(self, path: str, oid: str, size: int | None = None) -> Iterator[BinaryIO]:
        """Open for reading, once (callers retry); an absent object is ObjectMissingError."""
        try:
            if self.protocol == "s3":
                f: Any = _S3Body(self.fs, path)
            else:
                f = self.fs.open(path, "rb")
        except FileNotFoundError:
            raise self._missing(oid) from None
        try:
            yield f
        finally:
            with contextlib.suppress(Exception):
                f.close()

    def _missing(self, oid: str) -> ObjectMissingError:
        return ObjectMissingError(
            f"object {oid[:12]} is not on remote {self.name} ({self.url}); push it "
            "there from a clone that has it",
            fix=f"gitmodel push --remote {self.name}",
        )

    def remove(self, algo: str, oid: str) -> bool:
        """Delete one object (for gc --cloud and repairs); False if it was absent."""
        if self.read_only:
            raise RemoteAccessError(f"remote {self.name} ({self.url}) is read-only (http)")
        path = self.object_path(algo, oid)

        def rm() -> bool:
            try:
                self.fs.rm_file(path)
            except FileNotFoundError:
                return False
            return True

        return self._retry(rm, f"remove object {oid[:12]}")

    # --- retries and errors ----------------------------------------------------------------

    def _retry(
        self, op: Callable[[], T], action: str, *, cancel: threading.Event | None = None
    ) -> T:
        """Run ``op``; retry transient failures with exponential backoff, then translate."""
        for attempt in range(self.retries + 1):
            fs = self._fs
            try:
                return op()
            except (GitModelError, Cancelled):
                raise
            except Exception as exc:
                kind = classify(exc)
                # The SDKs of object stores already retried a failed connect.
                again = kind == "transient" or (
                    kind == "unreachable" and self.protocol not in _OBJECT_STORES
                )
                if not again or attempt == self.retries:
                    raise self._translate(exc, action, kind) from exc
                self._reconnect(fs)
                delay = min(self.backoff * 2**attempt, BACKOFF_MAX_SECONDS)
                delay *= 0.5 + random.random() / 2  # jitter: parallel workers spread out
                if cancel is not None:
                    if cancel.wait(delay):
                        raise Cancelled from None
                else:
                    time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _no_bucket(self, bucket: str) -> RemoteAccessError:
        word = _BUCKET_WORD.get(self.protocol, "bucket")
        return RemoteAccessError(
            f"remote {self.name} ({self.url}): {word} {bucket!r} does not exist "
            f"(or these credentials cannot see it)",
            fix=_CREATE_BUCKET.get(self.protocol, "").format(bucket=bucket) or None,
            kind="no_bucket",
        )

    def _translate(self, exc: BaseException, action: str, kind: str | None = None) -> RemoteError:
        """One line naming the remote, what failed and the fix; never a credential."""
        kind = kind or classify(exc)
        where = f"remote {self.name} ({self.url})"
        reason = self._scrub(describe(exc))
        if kind == "auth":
            return RemoteAccessError(
                f"{where}: access denied while trying to {action} ({reason})",
                fix=_AUTH_FIX.get(self.protocol, "").replace("NAME", self.name) or None,
                kind="auth",
            )
        if kind == "no_bucket" or (
            kind == "missing" and self.protocol in _OBJECT_STORES and action.startswith("upload")
        ):
            return self._no_bucket(self._root.split("/", 1)[0] if self._root else "?")
        if kind == "unreachable":
            return RemoteAccessError(
                f"{where}: cannot reach {self._location.host} ({reason}); check the network "
                f"and the remote's URL; running the command again resumes the transfer",
                kind="unreachable",
            )
        return RemoteError(f"{where}: {action} failed: {reason}")

    def _scrub(self, text: str) -> str:
        for secret in self._location.secrets:
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        for pattern, repl in _SECRET_TEXT:
            text = pattern.sub(repl, text)
        return text


# --- helpers (module level: pure, testable) -------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen or len(seen) > 12:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def _status_and_code(exc: BaseException) -> tuple[int | None, str]:
    """HTTP status and service error code of one exception, as far as it tells."""
    status: int | None = None
    for attr in ("status", "status_code", "code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            status = value
            break
    code = str(getattr(exc, "error_code", "") or "")
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):  # botocore ClientError
        code = code or str(response.get("Error", {}).get("Code", ""))
        meta = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        status = status or (meta if isinstance(meta, int) else None)
    elif response is not None:  # httpx / requests
        value = getattr(response, "status_code", None)
        status = status or (value if isinstance(value, int) else None)
    if code.isdigit() and status is None:
        status = int(code)
    return status, code


def classify(exc: BaseException) -> str:
    """``auth``, ``no_bucket``, ``missing``, ``unreachable``, ``transient`` or ``other``."""
    chain = list(_chain(exc))
    names = {cls.__name__ for e in chain for cls in type(e).__mro__}
    codes = [_status_and_code(e) for e in chain]
    text = " ".join(str(e) for e in chain)
    if any(code in _NO_BUCKET_CODES for _, code in codes) or any(
        t in text for t in _NO_BUCKET_TEXT
    ):
        return "no_bucket"
    if (
        names & _AUTH_TYPES
        or any(code in _AUTH_CODES for _, code in codes)
        or any(status in (401, 403) for status, _ in codes)
    ):
        return "auth"
    if any(status is not None and (status >= 500 or status in (408, 429)) for status, _ in codes):
        return "transient"
    if any(code in _TRANSIENT_CODES for _, code in codes):
        return "transient"
    if names & _UNREACHABLE_TYPES:
        return "unreachable"
    if names & _TRANSIENT_TYPES:
        return "transient"
    if names & _MISSING_TYPES or any(status == 404 for status, _ in codes):
        return "missing"
    return "other"


def describe(exc: BaseException) -> str:
    """A short, single-line reason taken from the most specific exception in the chain."""
    for e in _chain(exc):
        lines = str(e).strip().splitlines()
        text = " ".join(lines[0].split()) if lines else ""
        if text and text not in ("None", "()"):
            text = text if len(text) <= 200 else text[:197] + "..."
            return f"{type(e).__name__}: {text}"
    return type(exc).__name__


def _size(info: Mapping[str, Any]) -> int:
    size = info.get("size")
    try:
        return int(size) if size is not None else -1
    except (TypeError, ValueError):
        return -1


def _flag(value: object) -> bool:
    """A boolean option as TOML or the command line may spell it."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _local_size(path: str) -> int | None:
    """Size of a regular file (symlinks followed), None if there is none."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _local_listing(path: str, algo: str, prefix: str) -> dict[str, int]:
    """Valid objects in one prefix directory of a local remote, with their sizes."""
    found: dict[str, int] = {}
    try:
        entries = os.scandir(path)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    with entries:
        for entry in entries:
            oid = prefix + entry.name
            if is_valid_oid(algo, oid) and entry.is_file():
                found[oid] = entry.stat().st_size
    return found


def _check_local_object(got: str, oid: str, count: int) -> None:
    if got != oid:
        raise CorruptObjectError(
            f"local object {oid[:12]} is corrupt (its {count} bytes hash to "
            f"{got[:12]}); it was not uploaded",
            fix="gitmodel fetch",
        )


def _open_cached(local_path: str | os.PathLike[str], oid: str) -> int:
    """Open the cache's copy of ``oid`` for reading; a one-line error if it cannot be."""
    try:
        return os.open(local_path, os.O_RDONLY)
    except FileNotFoundError:
        raise ObjectMissingError(
            f"object {oid[:12]} is not in the local cache", fix="gitmodel fetch"
        ) from None
    except OSError as exc:
        raise GitModelError(f"cannot read {local_path}: {exc.strerror or exc}") from None


def _stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


class _Stoppable:
    """Progress of a local copy that also counts, and stops it once cancelled."""

    def __init__(self, progress: BytesProgress, cancel: threading.Event | None) -> None:
        self._progress = progress
        self._cancel = cancel
        self.count = 0

    def __call__(self, n: int) -> None:
        self.count += n
        if self._progress is not None:
            self._progress(n)
        _stop_if_cancelled(self._cancel)


class _S3Body:
    """An S3 object read front to back from one GET. s3fs's file object sends a HEAD,
    then a ranged GET per read-ahead block: dozens of requests for a large object, and
    a server that reads the whole object for each range (moto) gets slower the larger
    it is."""

    def __init__(self, fs: Any, path: str) -> None:
        from fsspec.asyn import sync

        self._fs = fs
        self._sync = sync
        bucket, key, version = fs.split_path(path)
        kwargs = {"VersionId": version} if version else {}
        self._body = fs.call_s3("get_object", Bucket=bucket, Key=key, **kwargs)["Body"]

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return bytes(self._sync(self._fs.loop, self._body.read))
        return bytes(self._sync(self._fs.loop, self._body.read, n))

    def close(self) -> None:
        self._body.close()


class _OnceProgress:
    """Forwards byte counts, but bytes resent by a retry are not counted twice."""

    def __init__(self, progress: BytesProgress) -> None:
        self._progress = progress
        self._reported = 0
        self._current = 0

    def restart(self) -> None:
        self._current = 0

    def __call__(self, n: int) -> None:
        self._current += n
        if self._progress is not None and self._current > self._reported:
            self._progress(self._current - self._reported)
            self._reported = self._current


class _LocalSource:
    """A local file whose read errors are local errors, not the remote's."""

    def __init__(self, f: BinaryIO, path: str | os.PathLike[str]) -> None:
        self._f = f
        self._path = path

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except OSError as exc:
            raise GitModelError(f"cannot read {self._path}: {exc.strerror or exc}") from exc


class _Meter:
    """A read-only stream over ``src`` that hashes, counts, reports and can be cancelled.

    An exception raised by ``src`` is remembered in ``source_error``, so the caller
    can tell a failing source from a failing destination.
    """

    def __init__(
        self,
        src: BinaryIO,
        algo: str,
        size: int | None,
        progress: BytesProgress,
        cancel: threading.Event | None,
    ) -> None:
        self._src = src
        self._size = size  # expected, if known: reads stop asking for more than is left
        self._hasher = new_hasher(algo, size or 0)
        self._progress = progress
        self.cancel = cancel
        self.count = 0
        self.source_error: BaseException | None = None
        if isinstance(progress, _OnceProgress):
            progress.restart()

    def read(self, n: int = -1) -> bytes:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled
        n = CHUNK_SIZE if n is None or n < 0 else n
        if self._size is not None:
            left = self._size - self.count
            n = min(n, left) if left > 0 else min(n, 64 * 1024)
        try:
            data = self._src.read(n)
        except BaseException as exc:
            self.source_error = exc
            raise
        if data:
            self._hasher.update(data)
            self.count += len(data)
            if self._progress is not None:
                self._progress(len(data))
        return bytes(data) if not isinstance(data, bytes) else data

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()

    def check(self, algo: str, oid: str, size: int | None) -> None:
        got = self._hasher.hexdigest()
        if got != oid or (size is not None and self.count != size):
            raise CorruptObjectError(
                f"local object {oid[:12]} is corrupt (its {self.count} bytes hash to "
                f"{got[:12]}); it was not uploaded",
                fix="gitmodel fetch",
            )

    # What streaming uploaders probe for: a stream of unknown length, not seekable.
    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True


def _read_exactly(src: _Meter, n: int) -> bytes:
    """``n`` bytes from ``src`` (fewer only at its end)."""
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = src.read(min(CHUNK_SIZE, n - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _pump(src: _Meter, dst: Any) -> None:
    while True:
        chunk = src.read(CHUNK_SIZE)
        if not chunk:
            return
        dst.write(chunk)


def _abandon(f: Any, *, discard: bool) -> None:
    """Give up an unfinished upload without publishing it.

    fsspec's close() -- also run by ``__exit__`` and ``__del__`` -- would complete
    the upload with the partial bytes; ``forced`` makes close() skip its final
    flush, and ``discard`` first aborts the upload on the server.
    """
    if discard:
        with contextlib.suppress(Exception):
            f.discard()
    f.forced = True
    with contextlib.suppress(Exception):
        f.close()
    with contextlib.suppress(Exception):
        f.closed = True
