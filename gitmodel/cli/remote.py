"""``gitmodel remote ...``: where model objects are pushed to and pulled from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.output import info, out, print_json

if TYPE_CHECKING:
    from gitmodel.services.workspace import Workspace

remote_app = typer.Typer(
    help=(
        "Manage remotes: local directories, s3://, gs://, az://, sftp://, webdav://, "
        "https:// (read-only)."
    ),
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LocalOpt = Annotated[
    bool,
    typer.Option("--local", help="Write to .git/gitmodel/config.toml (never committed)."),
]


def _ws() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


@remote_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. origin.")],
    url: Annotated[
        str, typer.Argument(help="s3://bucket/prefix, /mnt/models, sftp://host/dir, ...")
    ],
    default: Annotated[
        bool, typer.Option("--default", "-d", help="Use it for push, pull and the hooks.")
    ] = False,
    local: LocalOpt = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace an existing remote.")
    ] = False,
) -> None:
    """Add a remote. Credentials never go into .gitmodel.toml: each backend finds them
    in its usual place (env vars, ~/.aws, gcloud, az login, ssh-agent).

    Examples:
      gitmodel remote add origin s3://ml-models/churn --default
      gitmodel remote add backup /mnt/nas/models
      gitmodel remote modify origin endpoint_url http://127.0.0.1:9000
    """
    from gitmodel.services.remotes import add_remote
    from gitmodel.storage.remote import redact_url

    remote = add_remote(_ws(), name, url, default=default, local=local, force=force)
    suffix = " (default)" if remote.default else ""
    info(f"added remote {remote.name} -> {redact_url(remote.url)}{suffix}")


@remote_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List remotes (credentials are never shown).

    Example:  gitmodel remote list --json
    """
    from gitmodel.services.remotes import list_remotes
    from gitmodel.storage.remote import redact_url

    remotes = list_remotes(_ws())
    if as_json:
        print_json([r.to_json() for r in remotes])
        return
    if not remotes:
        info("No remotes (add one with: gitmodel remote add NAME URL --default)")
    for r in remotes:
        mark = "*" if r.default else " "
        out.print(f"{mark} {r.name}\t{redact_url(r.url)}\t({r.where})", markup=False)


@remote_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The remote to forget.")]) -> None:
    """Forget a remote (nothing is deleted on it).

    Example:  gitmodel remote remove backup
    """
    from gitmodel.services.remotes import remove_remote

    remove_remote(_ws(), name)
    info(f"removed remote {name}")


@remote_app.command("modify")
def modify(
    name: Annotated[str, typer.Argument(help="The remote to change.")],
    key: Annotated[str, typer.Argument(help="url, endpoint_url, profile, region, jobs, ...")],
    value: Annotated[str, typer.Argument(help="The new value.")] = "",
    local: LocalOpt = False,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the option.")] = False,
) -> None:
    """Set one option of a remote. Secrets (key, secret, password, token, ...) are only
    accepted with --local.

    Examples:
      gitmodel remote modify origin endpoint_url http://127.0.0.1:9000
      gitmodel remote modify origin jobs 16
      gitmodel remote modify origin secret "$AWS_SECRET" --local
    """
    from gitmodel.services.remotes import modify_remote

    if not value and not unset:
        raise typer.BadParameter("give a VALUE, or --unset")
    modify_remote(_ws(), name, key, value, local=local, unset=unset)
    info(f"{name}.{key} {'unset' if unset else 'updated'}")


@remote_app.command("default")
def default(name: Annotated[str, typer.Argument(help="The remote to use by default.")]) -> None:
    """Make a remote the default for push, pull and the hooks.

    Example:  gitmodel remote default origin
    """
    from gitmodel.services.remotes import set_default

    set_default(_ws(), name)
    info(f"default remote is now {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(remote_app, name="remote")
