"""Configuration (DESIGN §2): committed ``.gitmodel.toml`` merged under the local file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gitmodel.config import (
    CONFIG_FILE,
    DEFAULT_LINK,
    DEFAULT_MAX_SIZE,
    INITIAL_CONFIG,
    LOCAL_CONFIG_FILE,
    QUICK_HASHES,
    Config,
    load_config,
    parse_size,
    quick_config,
    read_toml,
)
from gitmodel.errors import ConfigError
from gitmodel.hashing import ALGORITHMS, DEFAULT_ALGORITHM


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    git_dir = root / ".git"
    (git_dir / "gitmodel").mkdir(parents=True)
    return root, git_dir


def write(root: Path, git_dir: Path, committed: str | None, local: str | None) -> None:
    if committed is not None:
        (root / CONFIG_FILE).write_text(committed)
    if local is not None:
        (git_dir / "gitmodel" / LOCAL_CONFIG_FILE).write_text(local)


# ---------------------------------------------------------------- merging


def test_no_config_files_give_the_defaults(repo: tuple[Path, Path]) -> None:
    config = load_config(*repo)
    assert config.hash_algorithm == "blake3"
    assert config.link_strategies == DEFAULT_LINK
    assert config.max_size == DEFAULT_MAX_SIZE
    assert config.auto_fetch is True
    assert config.cache_dir is None
    assert config.default_remote is None
    assert config.remotes == {}


def test_local_values_win_over_committed_ones(repo: tuple[Path, Path]) -> None:
    write(
        *repo,
        committed='hash = "sha256"\ndefault_remote = "origin"\n[cache]\nlink = ["copy"]\n',
        local='default_remote = "backup"\n[cache]\ndir = "/shared/cache"\n',
    )
    config = load_config(*repo)
    assert config.hash_algorithm == "sha256"
    assert config.default_remote == "backup"
    assert config.cache_dir == "/shared/cache"
    assert config.link_strategies == ("copy",)  # tables merge key by key


def test_nested_tables_merge_key_by_key(repo: tuple[Path, Path]) -> None:
    write(
        *repo,
        committed='[remotes.origin]\nurl = "s3://bucket/models"\nregion = "eu"\n',
        local='[remotes.origin]\nprofile = "dev"\n[remotes.mine]\nurl = "/tmp/r"\n',
    )
    remotes = load_config(*repo).remotes
    assert remotes == {
        "origin": {"url": "s3://bucket/models", "region": "eu", "profile": "dev"},
        "mine": {"url": "/tmp/r"},
    }


def test_a_local_scalar_replaces_a_committed_table(repo: tuple[Path, Path]) -> None:
    write(*repo, committed='[cache]\nlink = ["copy"]\n', local='[cache]\nlink = "hardlink"\n')
    assert load_config(*repo).link_strategies == ("hardlink",)


def test_without_git_dir_only_the_committed_file_is_read(repo: tuple[Path, Path]) -> None:
    root, git_dir = repo
    write(root, git_dir, committed='hash = "md5"\n', local='hash = "sha256"\n')
    assert load_config(root).hash_algorithm == "md5"


def test_the_initial_config_is_valid_and_says_what_it_sets(repo: tuple[Path, Path]) -> None:
    root, git_dir = repo
    write(root, git_dir, committed=INITIAL_CONFIG.format(hash="sha256"), local=None)
    config = load_config(root, git_dir)
    assert config.hash_algorithm == "sha256"
    assert config.link_strategies == ("reflink", "copy")
    assert config.max_size == 10 * 1024 * 1024
    assert config.auto_fetch is True


def test_get_follows_dotted_keys_and_falls_back_to_the_default() -> None:
    config = Config(data={"a": {"b": {"c": 1}}, "x": 2})
    assert config.get("a.b.c") == 1
    assert config.get("a.b") == {"c": 1}
    assert config.get("a.z", "d") == "d"
    assert config.get("x.y", "d") == "d"  # x is not a table


# ---------------------------------------------------------------- bad values name the file


@pytest.mark.parametrize("value", ['"sha1"', '"BLAKE3"', "1", '["blake3"]'])
def test_unknown_hash_is_a_config_error_naming_the_file(
    repo: tuple[Path, Path], value: str
) -> None:
    write(*repo, committed=f"hash = {value}\n", local=None)
    with pytest.raises(ConfigError, match=r"^\.gitmodel\.toml: hash = .* is unknown; use one of"):
        load_config(*repo)


@pytest.mark.parametrize("value", ['["reflink", "rsync"]', '"scp"', "[]", "3", "[1]"])
def test_bad_link_strategy_is_a_config_error_naming_the_file(
    repo: tuple[Path, Path], value: str
) -> None:
    write(*repo, committed=f"[cache]\nlink = {value}\n", local=None)
    with pytest.raises(ConfigError, match=r"^\.gitmodel\.toml: cache\.link"):
        load_config(*repo)


def test_config_errors_exit_with_the_usage_code(repo: tuple[Path, Path]) -> None:
    write(*repo, committed='hash = "sha1"\n', local=None)
    with pytest.raises(ConfigError) as info:
        load_config(*repo)
    assert info.value.exit_code == 2


def test_bad_hash_in_the_local_file_names_the_local_file(repo: tuple[Path, Path]) -> None:
    write(*repo, committed='hash = "sha256"\n', local='hash = "sha1"\n')
    with pytest.raises(ConfigError, match=LOCAL_CONFIG_FILE):
        load_config(*repo)


def test_invalid_toml_names_the_file(repo: tuple[Path, Path]) -> None:
    root, git_dir = repo
    write(root, git_dir, committed="hash = \n", local=None)
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        load_config(root, git_dir)
    assert str(info.value).startswith(str(root / CONFIG_FILE))


def test_invalid_local_toml_names_the_local_file(repo: tuple[Path, Path]) -> None:
    root, git_dir = repo
    write(root, git_dir, committed=None, local="[cache\n")
    with pytest.raises(ConfigError) as info:
        load_config(root, git_dir)
    assert str(info.value).startswith(str(git_dir / "gitmodel" / LOCAL_CONFIG_FILE))


def test_deeply_nested_toml_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text("a = " + "[" * 5000)
    with pytest.raises(ConfigError, match="invalid TOML"):
        read_toml(path)


def test_a_file_that_is_not_utf8_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_bytes(b'hash = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        read_toml(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_toml(tmp_path / "nope.toml") == {}


def test_read_toml_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('a = 1\n[b]\nc = "d"\n')
    assert read_toml(path) == tomllib.loads(path.read_text())


def test_cache_dir_must_be_a_string() -> None:
    with pytest.raises(ConfigError, match=r"cache\.dir must be a path string"):
        _ = Config(data={"cache": {"dir": 3}}).cache_dir


def test_remotes_must_be_a_table_and_non_table_entries_are_ignored() -> None:
    with pytest.raises(ConfigError, match=r"\[remotes\] must be a table"):
        _ = Config(data={"remotes": "s3://x"}).remotes
    assert Config(data={"remotes": {"a": {"url": "x"}, "b": 3}}).remotes == {"a": {"url": "x"}}


def test_hooks_options_are_read() -> None:
    config = Config(data={"hooks": {"max_size": "1MiB", "auto_fetch": False}})
    assert config.max_size == 1024 * 1024
    assert config.auto_fetch is False


def test_bad_max_size_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"hooks\.max_size: 'big' is not a size"):
        _ = Config(data={"hooks": {"max_size": "big"}}).max_size


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (10485760, 10485760),
        ("0", 0),
        ("123", 123),
        ("12b", 12),
        ("10MiB", 10 * 1024**2),
        ("10mib", 10 * 1024**2),
        ("10 MiB", 10 * 1024**2),
        ("  10MiB  ", 10 * 1024**2),
        ("1k", 1000),
        ("1KB", 1000),
        ("1KiB", 1024),
        ("2M", 2_000_000),
        ("2MB", 2_000_000),
        ("1GB", 1_000_000_000),
        ("1GiB", 1024**3),
        ("1.5k", 1500),
        ("0.5MiB", 512 * 1024),
    ],
)
def test_parse_size_understands_bytes_and_units(value: object, expected: int) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize(
    "value", [-1, "-1", "", "big", "10TB", "10 MiB extra", "1e3", "1,000", 1.5, True, None, []]
)
def test_parse_size_refuses_anything_else_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^hooks\.max_size: .* is not a size \(examples"):
        parse_size(value, "hooks.max_size")


# ---------------------------------------------------------------- quick_config (hooks)


def same_config(a: Config, b: Config) -> bool:
    return (a.data, a.local, a.source, a.local_source) == (
        b.data,
        b.local,
        b.source,
        b.local_source,
    )


@pytest.mark.parametrize(
    ("committed", "local"),
    [
        (INITIAL_CONFIG.format(hash="blake3"), None),
        (INITIAL_CONFIG.format(hash="md5"), '[hooks]\nmax_size = "1KiB"\n'),
        (
            'hash = "sha256"\n[remotes.origin]\nurl = "s3://b/m"\njobs = 8\n',
            'default_remote = "origin"\n',
        ),
        ("", None),
        ("# nothing set\n", '[cache]\nlink = "copy"\n'),
    ],
)
def test_quick_config_reads_plain_files_as_load_config_does(
    repo: tuple[Path, Path], committed: str, local: str | None
) -> None:
    root, git_dir = repo
    write(root, git_dir, committed, local)
    quick = quick_config(str(root), str(git_dir))
    assert quick is not None
    assert same_config(quick, load_config(root, git_dir))
    assert quick.max_size == load_config(root, git_dir).max_size


@pytest.mark.parametrize(
    ("committed", "local"),
    [
        # valid, but beyond plain TOML: load_config reads them
        ("[hooks]\nmax_size = 1_000\n", None),
        ("hash = 'sha256'\n", None),
        (INITIAL_CONFIG.format(hash="blake3"), "[cache]\ndir = '/shared/cache'\n"),
        # errors load_config reports: quick_config leaves them to it
        ('hash = "sha1"\n', None),
        ('[cache]\nlink = ["rsync"]\n', None),
        ('[hooks]\nmax_size = "big"\n', None),
        (INITIAL_CONFIG.format(hash="blake3"), 'hash = "SHA256"\n'),
        ("hash = \n", None),
        (None, "[cache\n"),
    ],
)
def test_quick_config_leaves_everything_else_to_load_config(
    repo: tuple[Path, Path], committed: str | None, local: str | None
) -> None:
    root, git_dir = repo
    write(root, git_dir, committed, local)
    assert quick_config(str(root), str(git_dir)) is None


def test_quick_config_leaves_unreadable_files_to_load_config(repo: tuple[Path, Path]) -> None:
    root, git_dir = repo
    (root / CONFIG_FILE).write_bytes(b'hash = "\xff"\n')
    assert quick_config(str(root), str(git_dir)) is None
    (root / CONFIG_FILE).write_text("")
    (git_dir / "gitmodel" / LOCAL_CONFIG_FILE).mkdir()
    assert quick_config(str(root), str(git_dir)) is None


def test_quick_hashes_are_the_hash_algorithms() -> None:
    assert QUICK_HASHES == ALGORITHMS
    assert QUICK_HASHES[0] == DEFAULT_ALGORITHM
