"""The directory: read-only users and groups as Entra provisioned them, and a CSV export."""

import csv
import io

from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for

from blueprints import trail
from blueprints.access import reader_required
from blueprints.admin import bp
from blueprints.forms import UserFilterForm
from scim.schema import ENTERPRISE
from services import custom_fields
from services.groups import reads as memberships
from services.readmodels import directory


@bp.get("/directory", endpoint="directory")
@reader_required
def users_page():
    form, f = _filter()
    page = directory.users(f, _page_number()) if not form.errors else directory.Page([], 0, 1, 1)
    values = {name: directory.distinct_values(name) for name in directory.DIMENSIONS}
    trail.viewed("directory", "users")
    return render_template("admin/directory_users.html", form=form, filter=f, page=page,
                           values=values)


@bp.get("/directory/users.csv")
@reader_required
def export_users():
    _, f = _filter()
    trail.exported("directory", "users.csv")
    fields = [field.name for field in custom_fields.active()]
    rows = directory.export(f, custom_fields.urn(), fields)
    response = Response(stream_with_context(csv_stream(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="rollcall-users.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/directory/users/<user_id>")
@reader_required
def user_page(user_id):
    user = directory.user(user_id) or abort(404)
    trail.viewed("directory", "user", user.id)
    rtype = custom_fields.user_type()
    return render_template(
        "admin/directory_user.html", user=user, state=directory.state_of(user),
        sections=attribute_sections(user.data, rtype),
        groups=memberships.groups_of([user.id]).get(user.id, []),
        manager=directory.person(user.manager_id), reports=directory.reports(user.id))


@bp.get("/directory/groups")
@reader_required
def groups_page():
    q = request.args.get("q", "")[:200]
    trail.viewed("directory", "groups")
    return render_template("admin/directory_groups.html", q=q,
                           page=directory.groups(q, _page_number()))


@bp.get("/directory/groups/<group_id>")
@reader_required
def group_page(group_id):
    group = directory.group(group_id) or abort(404)
    trail.viewed("directory", "group", group.id)
    return render_template("admin/directory_group.html", group=group,
                           page=directory.members(group.id, _page_number()))


@bp.get("/directory/breakdown")
@reader_required
def breakdown():
    trail.viewed("directory", "breakdown")
    return render_template("admin/directory_breakdown.html", breakdown=directory.breakdown())


def _filter() -> tuple[UserFilterForm, directory.UserFilter]:
    form = UserFilterForm(request.args)
    form.validate()
    if form.errors:
        return form, directory.UserFilter()
    values = {name: (form[name].data or "").strip() for name in
              ("q", "state", "department", "division", "organization", "manager")}
    sort = request.args.get("sort", "")
    values["sort"] = sort if sort.removeprefix("-") in directory.SORTS else ""
    return form, directory.UserFilter(**values)


def _page_number() -> int:
    return max(1, min(request.args.get("page", 1, type=int), 1_000_000))


def csv_stream(rows):
    # Excel reads a CSV as the local code page unless it starts with a UTF-8 byte-order mark.
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def attribute_sections(data: dict, rtype) -> list[tuple[str, str, list]]:
    """[(title, schema id, [(attribute path, [display values])])] for each schema of the type."""
    sections = []
    for schema in rtype.schemas:
        values = data if schema is rtype.core else (data.get(schema.id) or {})
        rows = []
        for attribute in schema.attributes:
            if attribute.name in ("password", "groups", "manager"):
                continue
            shown = _display(attribute, values.get(attribute.name))
            # Core attributes without a value are left out; extension ones are listed all,
            # so an attribute Entra does not send (a missing mapping) stands out.
            if shown or schema is not rtype.core:
                rows.extend(shown or [(attribute.name, [])])
        title = {rtype.core.id: "Core (User)", ENTERPRISE: "Enterprise"}.get(schema.id, "Custom")
        sections.append((title, schema.id, rows))
    return sections


def _display(attribute, value) -> list[tuple[str, list[str]]]:
    if value is None or value == [] or value == {}:
        return []
    if attribute.type == "complex" and not attribute.multi_valued:
        return [(f"{attribute.name}.{k}", [_text(v)]) for k, v in value.items()]
    if attribute.multi_valued:
        return [(_entry_label(attribute.name, e), [_entry_text(e)]) for e in value]
    return [(attribute.name, [_text(value)])]


# What an admin calls an attribute; the SCIM path is shown beside it (RFC 7643 §4.1, §4.3).
LABELS = {
    "userName": "Username", "displayName": "Display name", "nickName": "Nickname",
    "profileUrl": "Profile URL", "title": "Job title", "userType": "User type",
    "preferredLanguage": "Preferred language", "locale": "Locale", "timezone": "Time zone",
    "active": "Active", "externalId": "External id", "name.givenName": "Given name",
    "name.familyName": "Family name", "name.formatted": "Full name",
    "name.middleName": "Middle name", "name.honorificPrefix": "Title before the name",
    "name.honorificSuffix": "Title after the name", "employeeNumber": "Employee number",
    "costCenter": "Cost centre", "organization": "Organisation", "division": "Division",
    "department": "Department", "manager": "Manager", "emails": "Email",
    "phoneNumbers": "Phone", "addresses": "Address", "ims": "Instant messaging",
    "photos": "Photo", "entitlements": "Entitlement", "roles": "Role",
    "x509Certificates": "Certificate",
}


def label_of(path: str) -> str:
    """'emails[type eq "work"]' → 'Work email'; a custom 'costCode' → 'Cost code'."""
    base, _, rest = path.partition("[")
    kind = rest.split('"')[1] if rest.count('"') >= 2 else ""
    text = LABELS.get(base) or _words(base)
    return f"{kind.capitalize()} {text.lower()}" if kind else text


def _words(name: str) -> str:
    last = name.rsplit(".", 1)[-1]
    spaced = "".join(" " + c.lower() if c.isupper() else c for c in last).strip()
    return spaced[:1].upper() + spaced[1:]


bp.add_app_template_filter(label_of, "attribute_label")


def _entry_label(name: str, entry) -> str:
    if isinstance(entry, dict) and entry.get("type"):
        return f'{name}[type eq "{entry["type"]}"]'
    return name


def _entry_text(entry) -> str:
    if not isinstance(entry, dict):
        return _text(entry)
    parts = [str(v) for k, v in entry.items() if k not in ("type", "primary", "display")]
    text = ", ".join(parts) or _text(entry.get("display"))
    return text + (" (primary)" if entry.get("primary") else "")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def directory_url(f: directory.UserFilter, **overrides) -> str:
    return url_for("admin.directory", **f.args(**overrides))


bp.add_app_template_global(directory_url)


@bp.app_context_processor
def _sort_url():
    """`sort_url(key)`: this list sorted by key, on its first page, filters kept."""
    def sort_url(key: str) -> str:
        args = {k: v for k, v in request.args.items() if k not in ("page", "sort")}
        return url_for(request.endpoint or "admin.directory", **request.view_args or {},
                       **args, sort=key)

    return {"sort_url": sort_url}
