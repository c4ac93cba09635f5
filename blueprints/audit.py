"""The audit viewer under /admin/audit: requests, changes, detail, charts, chain state, export.

Admins and auditors read it; it has no route that writes. Each page first flushes the
request log so that a request made a moment ago shows up.
"""

import functools
import json
from datetime import UTC
from datetime import datetime

from babel import Locale
from babel import UnknownLocaleError
from babel import numbers
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import has_request_context
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from blueprints import directory_scope
from blueprints import trail
from blueprints.access import reader_required
from security import row_id
from services import audit
from services import settings
from services.audit import bodies
from services.audit import export as audit_export
from services.audit import query as audit_query
from services.audit import requestlog

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

# Directory pages, by the endpoint names the admin UI has used for them.
RESOURCE_PAGES = {"User": (("admin.user_page", "user_id"), ("admin.user", "user_id")),
                  "Group": (("admin.group_page", "group_id"), ("admin.group", "group_id"))}


@bp.before_request
@reader_required
def gate():
    if getattr(current_user, "must_change_password", False):
        return redirect(url_for("auth.password"))
    requestlog.writer_for(current_app).flush()
    return None


directory_scope.install(bp)


@bp.get("/")
def index():
    f, errors = _request_filter()
    page = audit_query.requests(f, *_cursor())
    trail.viewed("audit", "requests")
    return render_template("audit/index.html", f=f, errors=errors, page=page,
                           chains=audit.chain_status(), choices=_choices())


@bp.get("/changes")
def changes():
    f, errors = _change_filter()
    page = audit_query.changes(f, *_cursor())
    trail.viewed("audit", "changes")
    return render_template("audit/changes.html", f=f, errors=errors, page=page)


@bp.get("/requests/<int:record_id>")
def request_detail(record_id):
    row, made = audit_query.request_detail(record_id)
    if row is None:
        abort(404)
    trail.viewed("audit", "request", str(record_id))
    ids = [row.resource_id] + [i for c in made for i in audit_query.member_ids(c.changes)]
    return render_template("audit/request.html", row=row, changes=made,
                           request_body=bodies.readable(row.request_body),
                           response_body=bodies.readable(row.response_body),
                           names=audit_query.names(ids),
                           body_retention_days=settings.get("body_retention_days"))


@bp.get("/changes/<int:record_id>")
def change_detail(record_id):
    change, origin = audit_query.change_detail(record_id)
    if change is None:
        abort(404)
    trail.viewed("audit", "change", str(record_id))
    ids = [change.resource_id, *audit_query.member_ids(change.changes)]
    return render_template("audit/change.html", change=change, origin=origin,
                           names=audit_query.names(ids))


@bp.get("/charts")
def charts():
    trail.viewed("audit", "charts")
    return render_template("audit/charts.html", day=audit_query.hourly(24),
                           week=audit_query.hourly(24 * 7))


@bp.get("/chain")
def chain():
    trail.viewed("audit", "tamper evidence")
    return render_template("audit/chain.html", chains=audit.chain_status())


@bp.get("/export.<fmt>")
def export(fmt):
    kind = request.args.get("kind", "requests")
    if fmt not in audit_export.FORMATS or kind not in audit_export.COLUMNS:
        abort(404)
    f, _ = _request_filter() if kind == "requests" else _change_filter()
    trail.exported("audit", f"{kind}.{fmt}")
    body = stream_with_context(audit_export.export(kind, f, fmt, bom=fmt == "csv"))
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = Response(body, mimetype=mimetype)
    response.charset = "utf-8"
    name = f"rollcall-{kind}-{datetime.now(UTC):%Y%m%d-%H%M}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("audit_timeline")
def timeline(resource_type: str, resource_id: str, limit: int = 20):
    """For directory pages: `{% include "audit/_timeline.html" %}` calls this."""
    requestlog.writer_for(current_app).flush()
    return audit_query.timeline(resource_type, resource_id, limit)


@bp.app_template_global("audit_resource_url")
def resource_url(resource_type: str | None, resource_id: str | None) -> str | None:
    for endpoint, argument in RESOURCE_PAGES.get(resource_type or "", ()):
        if resource_id and endpoint in current_app.view_functions:
            return url_for(endpoint, **{argument: resource_id})
    return None


@bp.app_template_filter("audit_value")
def audit_value(value):
    if value is None:
        return Markup('<span class="muted">none</span>')
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@bp.app_template_filter("thousands")
def thousands(value):
    """8565 grouped as the reader's Accept-Language writes it: "8,565", "8.565", "8 565"."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    header = request.headers.get("Accept-Language", "") if has_request_context() else ""
    return numbers.format_decimal(value, locale=_reader_locale(header))


@functools.lru_cache(maxsize=256)
def _reader_locale(header: str) -> Locale:
    """The first language of the header that CLDR knows (Babel), else en-GB."""
    for tag, _ in LanguageAccept(parse_accept_header(header)):
        try:
            return Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse("en_GB")


def _cursor() -> tuple[int | None, int | None]:
    return (request.args.get("before", type=row_id), request.args.get("after", type=row_id))


def _choices() -> dict:
    return {"status": audit_query.STATUS_CLASSES, "method": audit_query.METHODS,
            "resource_type": audit_query.RESOURCE_TYPES}


def _request_filter() -> tuple[audit_query.RequestFilter, list]:
    args, errors = request.args, []
    status = args.get("status", type=row_id)
    f = audit_query.RequestFilter(
        since=_when("since", errors), until=_when("until", errors),
        status=status if status in audit_query.STATUS_CLASSES else None,
        errors=args.get("errors") in ("1", "True", "true"),
        method=_one_of(args.get("method", ""), audit_query.METHODS),
        resource_type=_one_of(args.get("resource_type", ""), audit_query.RESOURCE_TYPES),
        token=args.get("token", "").strip()[:100], q=args.get("q", "").strip()[:200],
        all_directories=_all_directories())
    return f, errors


def _change_filter() -> tuple[audit_query.ChangeFilter, list]:
    args, errors = request.args, []
    f = audit_query.ChangeFilter(
        since=_when("since", errors), until=_when("until", errors),
        actor=args.get("actor", "").strip()[:200], action=args.get("action", "").strip()[:64],
        resource_type=args.get("resource_type", "").strip()[:32],
        q=args.get("q", "").strip()[:200], all_directories=_all_directories())
    return f, errors


def _all_directories() -> bool:
    """`all_directories=1`: every directory's records; else the current directory's."""
    return request.args.get("all_directories") in ("1", "True", "true")


def _one_of(value: str, allowed) -> str:
    return value if value in allowed else ""


def _when(name: str, errors: list) -> datetime | None:
    """A UTC time from a datetime-local input (2024-05-01T13:00) or an ISO timestamp."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        errors.append(f"{name}: {value!r} is not a date and time (use 2024-05-01T13:00)")
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.replace(tzinfo=None)
