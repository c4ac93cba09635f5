"""Command-line interface: `flask --app app tokens …`, `custom-fields …` (and Flask-Migrate's `db`).

Operators script these, so their forms and outputs are kept stable.
"""

import click
from flask import Flask
from flask.cli import AppGroup

from models import utcnow
from scim.errors import SCIMError
from services import custom_fields
from services import tokens
from services.actor import CLI

tokens_cli = AppGroup("tokens", help="Issue, list and revoke SCIM bearer tokens.")
fields_cli = AppGroup("custom-fields", help="Declare, list and retire custom User attributes.")


def _fail(error: SCIMError) -> None:
    raise click.ClickException(error.detail)


@tokens_cli.command("create")
@click.option("--name", required=True, help="A name to recognise the token by, e.g. 'entra-prod'.")
@click.option("--days", default=tokens.DEFAULT_DAYS, show_default=True, type=int,
              help="Days until the token expires.")
def create_token(name, days):
    """Issue a token; its secret is printed once, alone on the last line."""
    try:
        token, secret = tokens.issue(name, days, CLI)
    except SCIMError as error:
        _fail(error)
    click.echo(f"Token {token.name!r} ({token.prefix}…) expires {token.expires_at:%Y-%m-%d %H:%M} UTC.")
    click.echo("Copy the secret now: it is not stored and cannot be shown again.")
    click.echo(secret)


@tokens_cli.command("list")
def list_tokens():
    """Show every token: name, prefix, created, expires, last used, status (never the secret)."""
    now = utcnow()
    rows = [("NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATUS")]
    for t in tokens.all_tokens():
        rows.append((t.name, t.prefix, _when(t.created_at), _when(t.expires_at),
                     _when(t.last_used_at), t.status(now)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_token(name):
    """Revoke the token called NAME; clients using it get 401 at once."""
    try:
        tokens.revoke(name, CLI)
    except SCIMError as error:
        _fail(error)
    click.echo(f"Token {name!r} revoked.")


@fields_cli.command("create")
@click.argument("name")
@click.option("--type", "type_", required=True, type=click.Choice(custom_fields.TYPES))
@click.option("--multi-valued", is_flag=True, help="The attribute holds a list of values.")
@click.option("--description", default="", help="What the field means, shown in /Schemas.")
def create_field(name, type_, multi_valued, description):
    """Declare a custom attribute; it appears in /Schemas at once."""
    try:
        custom_fields.define(name, type_, multi_valued, description, CLI)
    except SCIMError as error:
        _fail(error)
    click.echo(f"Custom field {name!r} declared under {custom_fields.urn()}.")


@fields_cli.command("list")
def list_fields():
    """Show declared custom fields, retired ones included."""
    for f in custom_fields.all_fields():
        status = "retired" if f.retired_at else "active"
        kind = f"{f.type}[]" if f.multi_valued else f.type
        click.echo(f"{f.name}\t{kind}\t{status}\t{f.description}")


@fields_cli.command("retire")
@click.argument("name")
def retire_field(name):
    """Retire a custom attribute: it leaves /Schemas and is no longer accepted."""
    try:
        custom_fields.retire(name, CLI)
    except SCIMError as error:
        _fail(error)
    click.echo(f"Custom field {name!r} retired.")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def register_commands(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(fields_cli)
