"""`flask --app app directories ...`, and the `--directory SLUG` option of the other commands.

Without `--directory` a command works in the default directory, so every command line
written before directories keeps doing what it did.
"""

import functools

import click
from flask.cli import AppGroup

from models import utcnow
from services import directories
from services.actor import CLI
from services.context import in_directory
from services.errors import ServiceError

directories_cli = AppGroup("directories",
                           help="Create, list, rename and delete directories (Tenant URLs).")


def _fail(error: ServiceError) -> None:
    raise click.ClickException(error.detail)


def directory_option(command):
    """Add `--directory SLUG` to a command, which then runs in that directory."""
    @click.option("--directory", "directory_slug", default=directories.DEFAULT_SLUG,
                  show_default=True, metavar="SLUG", help="The directory to work in.")
    @functools.wraps(command)
    def run(directory_slug, **kwargs):
        try:
            found = directories.by_slug(directory_slug)
        except ServiceError as error:
            _fail(error)
        with in_directory(found.id):
            return command(**kwargs)
    return run


@directories_cli.command("create")
@click.argument("slug")
@click.option("--name", default=None, help="A display name (default: the slug).")
@click.option("--staging", is_flag=True, help="Mark it as a staging directory.")
def create_directory(slug, name, staging):
    """Create a directory; its Tenant URL is /scim/v2/SLUG."""
    try:
        created = directories.create(slug, name, staging, CLI)
    except ServiceError as error:
        _fail(error)
    click.echo(f"Directory {created.slug!r} ({created.name}) created: Tenant URL "
               f"/scim/v2/{created.slug}. Issue its token with "
               f"`tokens create --name NAME --directory {created.slug}`.")


@directories_cli.command("list")
def list_directories():
    """Show every directory: slug, name, staging, Tenant URL path, created."""
    rows = [("SLUG", "NAME", "STAGING", "TENANT URL", "CREATED")]
    for found in directories.all():
        path = "/scim/v2" if found.id == directories.DEFAULT_ID else f"/scim/v2/{found.slug}"
        rows.append((found.slug, found.name, "yes" if found.staging else "no", path,
                     f"{found.created_at or utcnow():%Y-%m-%d %H:%M}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@directories_cli.command("rename")
@click.argument("slug")
@click.option("--name", required=True, help="The new display name; the slug and URL stay.")
def rename_directory(slug, name):
    """Give a directory a new display name."""
    try:
        renamed = directories.rename(slug, name, CLI)
    except ServiceError as error:
        _fail(error)
    click.echo(f"Directory {renamed.slug!r} is now called {renamed.name!r}.")


@directories_cli.command("delete")
@click.argument("slug")
@click.option("--force", is_flag=True, help="Delete it even though it holds users.")
def delete_directory(slug, force):
    """Delete a directory with its users, groups, tokens and custom fields (audit trail stays)."""
    try:
        directories.delete(slug, force, CLI)
    except ServiceError as error:
        _fail(error)
    click.echo(f"Directory {slug!r} deleted.")
