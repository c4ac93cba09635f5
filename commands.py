"""Command-line interface: tokens, custom-fields, admins, audit, alerts, mappings, rules, db.

`--directory SLUG` (commands_directories.py) chooses the directory of the tokens,
custom-fields and rules commands and of `audit export`; the audit chain itself (seal,
verify, prune) spans them all.

Operators script these, so their forms and outputs are kept stable.
"""

import json
import sys

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup

from commands_directories import directory_option
from mappings import mapfile
from mappings.evaluator import evaluate
from mappings.evaluator import render
from mappings.sources import SourceError
from mappings.sources import parse_source
from mappings.syntax import ExpressionError
from models import db
from models import utcnow
from models.admin import ROLES
from scim.errors import SCIMError
from services import admins
from services import audit
from services import custom_fields
from services import mappings
from services import rules
from services import settings
from services import tokens
from services.actor import CLI
from services.audit import Target
from services.audit import bodies as audit_bodies
from services.audit import chain as audit_chain
from services.audit import export as audit_export
from services.audit import query as audit_query
from services.audit import requestlog
from services.audit import verify as audit_verify
from services.errors import ServiceError

tokens_cli = AppGroup("tokens", help="Issue, list and revoke SCIM bearer tokens.")
fields_cli = AppGroup("custom-fields",
                      help="Declare, list, retire and restore custom User attributes.")
admins_cli = AppGroup("admins", help="Manage the people who sign in to the admin UI.")
audit_cli = AppGroup("audit", help="Seal, verify, prune and export the audit trail.")
rules_cli = AppGroup("rules", help="Show and change the provisioning rules.")
alerts_cli = AppGroup("alerts", help="Run the alert checks (for cron), test channels, list alerts.")
mappings_cli = AppGroup("mappings", help="Try Entra attribute-mapping expressions and mappings.")


# What services refuse with: their own errors (services/errors.py), and SCIM errors
# from the schema checks custom fields share with /Schemas.
REFUSED = (ServiceError, SCIMError)


def _fail(error: ServiceError | SCIMError) -> None:
    """A service's refusal as the command's error message."""
    raise click.ClickException(error.detail)


@tokens_cli.command("create")
@directory_option
@click.option("--name", required=True, help="A name to recognise the token by, e.g. 'entra-prod'.")
@click.option("--days", default=tokens.DEFAULT_DAYS, show_default=True, type=int,
              help="Days until the token expires.")
def create_token(name, days):
    """Issue a token; its secret is printed once, alone on the last line."""
    try:
        token, secret = tokens.issue(name, days, CLI)
    except REFUSED as error:
        _fail(error)
    click.echo(f"Token {token.name!r} ({token.prefix}…) expires {token.expires_at:%Y-%m-%d %H:%M} UTC.")
    click.echo("Copy the secret now: it is not stored and cannot be shown again.")
    click.echo(secret)


@tokens_cli.command("list")
@directory_option
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
@directory_option
@click.argument("name")
def revoke_token(name):
    """Revoke the token called NAME; clients using it get 401 within the token cache time."""
    try:
        tokens.revoke(name, CLI)
    except REFUSED as error:
        _fail(error)
    seconds = current_app.config["SCIM_TOKEN_CACHE_SECONDS"]
    # Running server processes remember a checked token for SCIM_TOKEN_CACHE_SECONDS.
    when = f"within {seconds:g} seconds" if seconds > 0 else "at once"
    click.echo(f"Token {name!r} revoked. Requests that use it get 401 {when} (each server "
               f"process remembers a checked token for {seconds:g} seconds).")


@fields_cli.command("create")
@directory_option
@click.argument("name")
@click.option("--type", "type_", required=True, type=click.Choice(custom_fields.TYPES))
@click.option("--multi-valued", is_flag=True, help="The attribute holds a list of values.")
@click.option("--description", default="", help="What the field means, shown in /Schemas.")
def create_field(name, type_, multi_valued, description):
    """Declare a custom attribute; it appears in /Schemas at once."""
    try:
        custom_fields.define(name, type_, multi_valued, description, CLI)
    except REFUSED as error:
        _fail(error)
    click.echo(f"Custom field {name!r} declared under {custom_fields.urn()}.")


@fields_cli.command("list")
@directory_option
def list_fields():
    """Show declared custom fields, retired ones included."""
    for f in custom_fields.all_fields():
        status = "retired" if f.retired_at else "active"
        kind = f"{f.type}[]" if f.multi_valued else f.type
        click.echo(f"{f.name}\t{kind}\t{status}\t{f.description}")


@fields_cli.command("retire")
@directory_option
@click.argument("name")
def retire_field(name):
    """Retire a custom attribute: it leaves /Schemas; writes that carry it ignore it."""
    try:
        custom_fields.retire(name, CLI)
    except REFUSED as error:
        _fail(error)
    click.echo(f"Custom field {name!r} retired.")


@fields_cli.command("restore")
@directory_option
@click.argument("name")
def restore_field(name):
    """Restore a retired custom attribute, with the values its users held."""
    try:
        custom_fields.restore(name, CLI)
    except REFUSED as error:
        _fail(error)
    click.echo(f"Custom field {name!r} restored.")


@admins_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="admin changes things; auditor only reads.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(username, role, password_stdin):
    """Add a person who signs in to the admin UI (password: at least 12 characters)."""
    password = _read_password(password_stdin)
    try:
        admins.create(username, password, role, CLI)
    except admins.AdminError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Admin UI account {username!r} created with role {role}.")


@admins_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_admin_password(username, password_stdin):
    """Reset the password of USERNAME (for a forgotten password)."""
    password = _read_password(password_stdin)
    try:
        admins.set_password(username, password, CLI)
    except admins.AdminError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Password of {username!r} changed; its sessions are ended.")


@admins_cli.command("disable")
@click.argument("username")
def disable_admin(username):
    """Disable USERNAME: its sessions end and it cannot sign in (the last admin stays)."""
    _on_account(username, lambda user: admins.set_disabled(user.id, True, CLI))
    click.echo(f"Account {username!r} disabled; its sessions are ended.")


@admins_cli.command("enable")
@click.argument("username")
def enable_admin(username):
    """Let a disabled USERNAME sign in again."""
    _on_account(username, lambda user: admins.set_disabled(user.id, False, CLI))
    click.echo(f"Account {username!r} enabled.")


@admins_cli.command("delete")
@click.argument("username")
def delete_admin(username):
    """Delete USERNAME and end its sessions; its change records stay (the last admin stays)."""
    _on_account(username, lambda user: admins.remove(user.id, CLI))
    click.echo(f"Account {username!r} deleted.")


def _on_account(username, action) -> None:
    user = admins.by_name(username)
    if user is None:
        raise click.ClickException(f"no account named {username!r}")
    try:
        action(user)
    except admins.AdminError as error:
        raise click.ClickException(str(error)) from error


@admins_cli.command("list")
def list_admins():
    """Show the admin UI accounts: username, role, last sign-in."""
    for user in admins.all_admins():
        state = "\tdisabled" if user.disabled_at else ""
        click.echo(f"{user.username}\t{user.role}\t{_when(user.last_login_at)}{state}")


@admins_cli.command("ensure-first")
def ensure_first_admin():
    """Create the admin `admin` with a one-time password when no account exists.

    The password is printed once, alone on the last line; it must be changed at the first
    sign-in. When an account exists this prints nothing secret and changes nothing.
    """
    password = admins.ensure_first(CLI)
    if password is None:
        click.echo("An admin UI account exists already; nothing to do.")
        return
    click.echo(f"Created the admin UI account {admins.FIRST_ADMIN!r}. Sign in at /auth/login "
               "with this one-time password; you will be asked to choose your own:")
    click.echo(password)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@audit_cli.command("seal")
def audit_seal():
    """Link every record written since the last seal into its hash chain."""
    sealed = audit_chain.seal(db.engine, wait=True, checkpoint=True)
    for chain in audit_chain.status(db.session):
        state = chain["state"]
        click.echo(f"{chain['name']}: {sealed[chain['name']]} sealed; chain at #{state.last_seq} "
                   f"{state.last_hash}")


@audit_cli.command("verify")
@click.option("--no-seal", is_flag=True, help="Verify as is, without sealing new records first.")
def audit_verify_command(no_seal):
    """Recompute every hash and link; exit 1 naming the first record altered or removed."""
    problems = _verify(seal=not no_seal)
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED {problem}", err=True)
        raise SystemExit(1)
    for chain in audit_chain.status(db.session):
        state = chain["state"]
        click.echo(f"{chain['name']}: intact from #{state.anchor_seq + 1} to #{state.last_seq}; "
                   f"{chain['unsealed']} not sealed yet, each matching its hash")
    _request_log_health()


def _request_log_health() -> None:
    """Rows an outage kept out of the chain: lost for good, or waiting in the spool."""
    health = requestlog.health()
    if health["lost"]:
        click.echo(f"WARNING {health['lost']} request-log rows were lost (database and spool "
                   "unavailable): the requests chain has a gap", err=True)
    if health["waiting"]:
        click.echo(f"{health['waiting']} request-log rows wait in the spool for the database")


@audit_cli.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days (default: the audit_retention_days setting).")
def audit_prune(days):
    """Delete sealed records older than the retention period; the rest stays verifiable."""
    days = days or settings.get("audit_retention_days")
    problems = _verify(seal=True)
    if problems:
        raise click.ClickException(f"refusing to prune a chain that does not verify: {problems[0]}")
    deleted = audit_chain.prune(db.engine, days)
    audit.log_event(CLI, "audit.prune", Target("AuditLog", None, None),
                    {"olderThanDays": [None, days], **{k: [None, v] for k, v in deleted.items()}})
    click.echo(f"Pruned records older than {days} days: {deleted['requests']} requests, "
               f"{deleted['changes']} changes.")
    _prune_bodies(None)


@audit_cli.command("prune-bodies")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days of bodies (default: the body_retention_days setting).")
def audit_prune_bodies(days):
    """Blank the request and response bodies of SCIM writes older than their retention."""
    _prune_bodies(days)


def _prune_bodies(days):
    days = days or settings.get("body_retention_days")
    blanked = audit_bodies.prune(db.engine, days)
    click.echo(f"Blanked the bodies of {blanked} requests older than {days} days.")


@audit_cli.command("export")
@directory_option
@click.option("--kind", type=click.Choice(tuple(audit_export.COLUMNS)), default="requests")
@click.option("--format", "fmt", type=click.Choice(audit_export.FORMATS), default="jsonl")
@click.option("--since", type=click.DateTime(), default=None, help="UTC, e.g. 2024-05-01T00:00:00")
@click.option("--until", type=click.DateTime(), default=None)
@click.option("--output", "-o", type=click.File("w"), default="-")
def audit_export_command(kind, fmt, since, until, output):
    """Write a range of the audit trail as CSV or JSON Lines, streamed."""
    filter_type = audit_query.RequestFilter if kind == "requests" else audit_query.ChangeFilter
    for chunk in audit_export.export(kind, filter_type(since=since, until=until), fmt):
        output.write(chunk)


def _verify(seal: bool) -> list:
    if seal:
        audit_chain.seal(db.engine, wait=True)
    problems = audit_verify.verify(db.engine)
    audit_chain.record_verify(db.engine, problems)
    return problems


@rules_cli.command("show")
@directory_option
def show_rules():
    """Print each rule as KEY=VALUE, a form `rules set` reads back."""
    for key, value in rules.current().items():
        click.echo(f"{key}={rules.format_value(value)}")


@rules_cli.command("set")
@directory_option
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
def set_rules(assignments):
    """Change one or more rules at once, with one change record, as the admin UI does."""
    try:
        values = dict(rules.parse(item) for item in assignments)
        changes = rules.save(values, CLI)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    except REFUSED as error:
        _fail(error)
    if not changes:
        click.echo("No rule changed.")
    for key, (before, after) in changes.items():
        click.echo(f"{key}: {rules.format_value(before)} -> {rules.format_value(after)}")


@alerts_cli.command("run")
@click.option("--force", is_flag=True, help="Run even when another process holds the lease.")
def run_alerts(force):
    """Verify the chain when due, check every condition, send what is due (cron: every minute)."""
    from flask import current_app

    from services.ops import alerts
    from services.ops import clock
    from services.ops import config as ops_config
    from services.ops import lease
    from services.ops import scheduler

    if not lease.acquire(scheduler.LEASE, clock.now(), scheduler.TTL) and not force:
        click.echo("Skipped: another process holds the alerts lease (it runs the checks).")
        return
    try:
        result = alerts.run(clock.now(), ops_config.from_mapping(current_app.config), db.engine)
    finally:
        lease.release(scheduler.LEASE)  # the next cron run is another process
    click.echo(f"{len(result.fired)} fired, {len(result.cleared)} cleared, {result.sent} sent"
               f"{', chain verified' if result.verified else ''}.")
    for key in result.fired:
        click.echo(f"fired: {key}")
    for key in result.cleared:
        click.echo(f"cleared: {key}")


@alerts_cli.command("test")
@click.argument("channel", type=click.Choice(["email", "webhook"]))
def test_alerts(channel):
    """Send a test message through CHANNEL now."""
    from services.ops import clock
    from services.ops import delivery

    sent = delivery.test(channel, clock.now())
    if sent.status != "sent":
        raise click.ClickException(f"the test {channel} failed: {sent.last_error}")
    click.echo(f"Test {channel} sent.")


@alerts_cli.command("list")
def list_alerts():
    """The latest alerts: fired, cleared, key and subject."""
    from services.ops import alerts

    for a in alerts.recent():
        cleared = _when(a.cleared_at) if a.cleared_at else "open"
        click.echo(f"{_when(a.fired_at)}  {cleared:<16}  {a.key}  {a.subject}")


@mappings_cli.command("eval")
@click.argument("expression")
@click.option("--set", "values", multiple=True, metavar="ATTRIBUTE=VALUE",
              help="A source attribute value; repeat for more (or for a multi-valued one).")
def mappings_eval(expression, values):
    """Print the value EXPRESSION gives, alone on the last line as JSON (null: no value)."""
    try:
        result = evaluate(expression, parse_source("\n".join(values)))
    except SourceError as error:
        raise click.UsageError(f"--set {error}") from None
    except ExpressionError as error:
        click.echo(f"{error.kind} at position {error.position}: {error.message}", err=True)
        click.echo(f"  {expression}\n  {' ' * ((error.position or 1) - 1)}^", err=True)
        raise SystemExit(1) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.dropped:
        click.echo("IgnoreFlowIfNullOrEmpty: Entra leaves the attribute out", err=True)
    click.echo(json.dumps(None if result.dropped else render(result.value), ensure_ascii=False))


@mappings_cli.command("check")
@click.argument("file", type=click.File("rb"))
def mappings_check(file):
    """Check a mapping JSON file against everyone in the directory; exit 1 if anyone fails."""
    try:
        rows = mapfile.loads(file.read(mapfile.MAX_FILE + 1))
    except mapfile.MappingFileError as error:
        raise click.ClickException(str(error)) from None
    census = mappings.check_directory(rows)
    for note in mappings.notes(rows):
        click.echo(f"note: {note}")
    click.echo(f"Checked {census.checked} of {census.total} people with {len(rows)} mappings.")
    for sentence in census.sentences():
        click.echo(sentence)
    if census.failing:
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    from commands_directories import directories_cli
    from commands_events import events_cli

    app.cli.add_command(alerts_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(fields_cli)
    app.cli.add_command(admins_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(rules_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(mappings_cli)
    app.cli.add_command(directories_cli)
