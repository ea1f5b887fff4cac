"""Remote URLs, options, redaction and error classification: pure, no server needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.errors import ConfigError, CorruptObjectError
from gitmodel.storage.remote import Remote, classify, describe, parse_location, redact_url


def test_importing_the_remote_layer_imports_no_backend() -> None:
    code = (
        "import sys, gitmodel.storage.remote, gitmodel.storage.transfer;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fsspec', 's3fs', 'gcsfs', 'adlfs', 'sshfs', 'webdav4', 'aiohttp', 'botocore')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("url", "protocol", "fs_url"),
    [
        ("s3://bucket/models/", "s3", "s3://bucket/models"),
        ("gs://bucket/m", "gs", "gs://bucket/m"),
        ("gcs://bucket/m", "gs", "gs://bucket/m"),
        ("az://container/m", "az", "az://container/m"),
        ("azure://container/m", "az", "az://container/m"),
        ("abfs://container/m", "az", "az://container/m"),
        ("ssh://me@host:2222/srv/models", "sftp", "sftp://host/srv/models"),
        ("sftp://host/srv/models", "sftp", "sftp://host/srv/models"),
        ("webdav://host:8080/dav/models", "webdav", "webdav://dav/models"),
        ("webdavs://host/remote.php/dav/files/me", "webdav", "webdav://remote.php/dav/files/me"),
        ("https://models.example.com/store", "http", "https://models.example.com/store"),
        ("file:///srv/models", "file", "/srv/models"),
        ("/srv/models/", "file", "/srv/models"),
    ],
)
def test_url_forms(url: str, protocol: str, fs_url: str) -> None:
    loc = parse_location(url)
    assert (loc.protocol, loc.fs_url) == (protocol, fs_url)


def test_relative_local_path_is_anchored_at_the_base_dir(tmp_path: Path) -> None:
    assert parse_location("../store", base_dir=tmp_path / "repo").fs_url == (
        (tmp_path / "repo" / ".." / "store").as_posix()
    )


def test_options_are_translated_for_each_backend() -> None:
    s3 = parse_location(
        "s3://b/p",
        {
            "region": "eu-west-1",
            "endpoint_url": "http://minio:9000",
            "profile": "ci",
            "jobs": 8,
            "retries": 2,
            "fsync": True,
        },
    )
    assert s3.fs_options == {
        "client_kwargs": {"region_name": "eu-west-1"},
        "endpoint_url": "http://minio:9000",
        "profile": "ci",
        "use_listings_cache": False,
        "default_block_size": 16 * 2**20,  # parts and read-ahead: bounded memory
    }
    assert (
        parse_location("s3://b", {"default_block_size": 5 * 2**20}).fs_options["default_block_size"]
        == 5 * 2**20
    )
    assert s3.display == "s3://b/p at http://minio:9000"
    assert parse_location("gs://b", {"anon": True}).fs_options["token"] == "anon"
    ssh = parse_location("ssh://me@h:2222/srv", {"key_filename": "~/.ssh/k", "known_hosts": False})
    assert ssh.fs_options["host"] == "h" and ssh.fs_options["port"] == 2222
    assert ssh.fs_options["username"] == "me" and ssh.fs_options["known_hosts"] is None
    assert ssh.fs_options["client_keys"][0].endswith("/.ssh/k")
    dav = parse_location("webdavs://h/dav", {"username": "me", "password": "pw", "timeout": 30})
    assert dav.fs_options == {"auth": ("me", "pw"), "timeout": 30, "base_url": "https://h"}


@pytest.mark.parametrize("url", ["ftp://host/x", "s3://", "ssh:///srv"])
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_location(url)


def test_credentials_never_show() -> None:
    assert redact_url("https://me:pw@host:8443/x?sig=abc") == "https://host:8443/x"
    remote = Remote("origin", "webdav://me:hunter22@host/dav", {"secret": "s3cr3t-value"})
    assert "hunter22" not in repr(remote) and "hunter22" not in remote.url
    assert "hunter22" not in repr(remote._location)
    text = remote._scrub("failed for me:hunter22 with s3cr3t-value at https://me:x@h/?sig=zz")
    assert "hunter22" not in text and "s3cr3t-value" not in text and "sig=zz" not in text
    azure = Remote("az", "az://c", {"connection_string": "AccountName=a;AccountKey=S3CR3T==;"})
    assert "S3CR3T" not in azure._scrub("bad AccountName=a;AccountKey=S3CR3T==; given")


def test_invalid_object_ids_are_refused_before_any_io() -> None:
    remote = Remote("origin", "s3://bucket")
    with pytest.raises(CorruptObjectError):
        remote.object_path("blake3", "../" + "0" * 61)
    assert remote._fs is None  # nothing was connected


class FakeClientError(Exception):
    def __init__(self, code: str, status: int) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}


def _wrapped(inner: BaseException, outer: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (PermissionError("Permission denied"), "auth"),
        (FakeClientError("InvalidAccessKeyId", 403), "auth"),
        (_wrapped(FakeClientError("NoSuchBucket", 404), FileNotFoundError("b")), "no_bucket"),
        (FakeClientError("SlowDown", 503), "transient"),
        (FakeClientError("InternalError", 500), "transient"),
        (ConnectionRefusedError(111, "refused"), "unreachable"),
        (ConnectionResetError(104, "reset by peer"), "transient"),
        (TimeoutError(), "transient"),
        (FileNotFoundError("x"), "missing"),
        (ValueError("odd"), "other"),
    ],
)
def test_backend_errors_are_classified(exc: BaseException, kind: str) -> None:
    assert classify(exc) == kind


def test_describe_takes_one_short_line() -> None:
    text = describe(RuntimeError("first line\nRequestId: 123\nTime: now " + "x" * 500))
    assert text == "RuntimeError: first line"
    assert len(describe(RuntimeError("y" * 1000))) < 230


def test_a_missing_local_file_is_a_local_error_not_the_remotes(tmp_path: Path) -> None:
    pytest.importorskip("s3fs")
    from gitmodel.errors import ObjectMissingError

    remote = Remote("origin", "s3://bucket/models", {"endpoint_url": "http://127.0.0.1:9"})
    with pytest.raises(ObjectMissingError, match="not in the local cache"):
        remote.upload("blake3", "ab" * 32, tmp_path / "gone")


def test_without_permission_to_list_objects_are_checked_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitmodel.hashing import hash_bytes

    remote = Remote("ro", str(tmp_path / "remote"))
    stored = {}
    for i in range(20):
        data = f"object {i}".encode()
        path = tmp_path / "src"
        path.write_bytes(data)
        oid = hash_bytes(data, "blake3")
        remote.upload("blake3", oid, path)
        stored[oid] = len(data)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("s3:ListBucket denied")

    monkeypatch.setattr(remote.fs, "ls", refuse)
    absent = hash_bytes(b"never uploaded", "blake3")
    assert remote.sizes("blake3", [*stored, absent]) == stored
