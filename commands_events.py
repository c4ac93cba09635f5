"""The `events` command group: subscribe receivers, list, pause, resume, delete, replay, deliver.

Operators script these, so their forms and outputs are kept stable (docs/events.md).
"""

import click
from flask.cli import AppGroup

from scim.errors import SCIMError
from services.actor import CLI

events_cli = AppGroup("events", help="Subscribe receivers to change events and deliver them.")


def _events_settings():
    from flask import current_app

    from services.events import delivery

    return delivery.settings_from(current_app.config)


@events_cli.command("subscribe")
@click.option("--url", help="The receiver's URL (push delivery).")
@click.option("--format", "fmt", required=True, type=click.Choice(["standard-webhooks", "set"]))
@click.option("--events", "event_filter", default=None,
              help="Comma-separated filter, e.g. 'user.*,group.delete,deactivate' (default: all).")
@click.option("--poll", is_flag=True, help="RFC 8936 poll delivery instead of push (format set).")
@click.option("--name", default=None, help="A name to recognise the subscription by.")
def events_subscribe(url, fmt, event_filter, poll, name):
    """Subscribe a receiver; prints its id, then any secret alone on the last line."""
    from flask import current_app

    from services.events import subscriptions

    if not poll and not url:
        raise click.UsageError("--url is required (or --poll for poll delivery)")
    try:
        sub, secret = subscriptions.subscribe(CLI, current_app.config["SECRET_KEY"], fmt, url,
                                              "poll" if poll else "push", event_filter, name)
    except SCIMError as error:
        raise click.ClickException(error.detail) from error
    click.echo(sub.id)
    if secret:
        what = "poll bearer token" if poll else "signing secret"
        click.echo(f"Copy the {what} now: it cannot be shown again.")
        click.echo(secret)


@events_cli.command("list")
def events_list():
    """Every subscription with its state and lag (never a secret)."""
    from services.events import subscriptions

    rows = [("ID", "FORMAT", "METHOD", "STATE", "WAITING", "OLDEST", "PARKED", "DELIVERED",
             "EVENTS", "URL")]
    for sub, lag in subscriptions.overview():
        oldest = f"{lag['oldest_age']:.0f}s" if lag["oldest_age"] is not None else "-"
        rows.append((sub.id, sub.format, sub.method, "paused" if sub.paused else "active",
                     str(lag["waiting"]), oldest, str(lag["parked"] + lag["rejected"]),
                     str(lag["delivered"]), sub.event_filter or "*", sub.url or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _subscription_command(name: str, help_text: str, action):
    @events_cli.command(name, help=help_text)
    @click.argument("subscription_id")
    def command(subscription_id):
        try:
            action(subscription_id)
        except SCIMError as error:
            raise click.ClickException(error.detail) from error
        click.echo(f"Subscription {subscription_id}: {name} done.")

    return command


def _pause(sid):
    from services.events import subscriptions

    subscriptions.set_paused(sid, True, CLI)


def _resume(sid):
    from services.events import subscriptions

    subscriptions.set_paused(sid, False, CLI)


def _delete(sid):
    from services.events import subscriptions

    subscriptions.delete(sid, CLI)


_subscription_command("pause", "Hold deliveries; events queue up until resumed.", _pause)
_subscription_command("resume", "Deliver again, the queued events first.", _resume)
_subscription_command("delete", "Remove the subscription and its queue.", _delete)


@events_cli.command("replay")
@click.argument("subscription_id")
@click.option("--from", "position", type=int, default=None, help="The first position to send.")
@click.option("--since", type=click.DateTime(), default=None,
              help="Or the first time to send (UTC), e.g. 2026-12-01T08:00:00.")
def events_replay(subscription_id, position, since):
    """Queue the matching events again from a position (or time) on."""
    from services.events import subscriptions

    if position is None and since is None:
        raise click.UsageError("give --from POSITION or --since TIME")
    try:
        count = subscriptions.replay(subscription_id, CLI, position, since)
    except SCIMError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"{count} events queued for subscription {subscription_id}.")


@events_cli.command("deliver")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron and tests).")
def events_deliver(once):
    """Deliver in the foreground (instead of the gunicorn thread); Ctrl-C stops."""
    from flask import current_app

    from services.events import delivery

    settings = _events_settings()
    if once:
        attempts = delivery.run_pass(settings) if delivery.acquire(settings) else 0
        click.echo(f"{attempts} delivery attempts.")
        return
    worker = delivery.Worker(current_app._get_current_object(), settings)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()


@events_cli.command("prune")
@click.option("--days", type=click.IntRange(min=1), required=True,
              help="Keep this many days of events and delivery log.")
def events_prune(days):
    """Delete delivered events and finished deliveries older than DAYS (never pending ones)."""
    from services.events import retention

    done = retention.prune(days, CLI)
    click.echo(f"Deleted {done['events']} events and {done['deliveries']} delivery records.")


@events_cli.command("rotate-key")
def events_rotate_key():
    """Sign SETs with a new key pair; the old public key stays published for verification."""
    from flask import current_app

    from services.events import signing

    key = signing.rotate(current_app.config["SECRET_KEY"])
    click.echo(f"SETs are now signed with key {key.kid}; the JWKS lists the old key too.")
