"""Directories: list, create, rename, delete (services/directories.py, as the CLI), and compare two.

Admins change; auditors see the same pages without the forms (the admin gate refuses
their POSTs, and `admin_required` the confirmation pages).
"""

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for

from blueprints import directory_scope
from blueprints import trail
from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.admin_directory import csv_stream
from blueprints.admin_health import settings as ops_settings
from blueprints.directory_forms import CompareForm
from blueprints.directory_forms import DeleteForm
from blueprints.directory_forms import DirectoryForm
from blueprints.directory_forms import RenameForm
from blueprints.forms import show_error
from services import directories
from services.clock import utcnow
from services.errors import NotFound
from services.errors import ServiceError
from services.readmodels import compare
from services.readmodels import overview


@bp.get("/directories", endpoint="directories")
@reader_required
def directories_page():
    return _list(DirectoryForm())


@bp.post("/directories")
@admin_required
def create_directory():
    form = DirectoryForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    try:
        made = directories.create(form.slug.data, form.name.data, form.staging.data, actor())
    except ServiceError as error:
        show_error(form, error, "slug")
        return _list(form, 400)
    flash(f"Directory {made.name} is created. Its Tenant URL is "
          f"{directory_scope.tenant_url(made.slug)}; generate a token for it while it is "
          "the current directory.", "success")
    return redirect(url_for("admin.directories", directory=made.slug))


@bp.route("/directories/<slug>/rename", methods=["GET", "POST"])
@admin_required
def rename_directory(slug):
    found = _directory(slug)
    form = RenameForm(data={"name": found.name})
    if form.validate_on_submit():
        try:
            directories.rename(found.slug, form.name.data, actor())
        except ServiceError as error:
            show_error(form, error, "name")
        else:
            flash(f"Directory {found.slug} is now called {form.name.data}.", "success")
            return redirect(url_for("admin.directories"))
    status = 400 if form.errors else 200
    return render_template("admin/directory_rename.html", form=form, found=found), status


@bp.route("/directories/<slug>/delete", methods=["GET", "POST"])
@admin_required
def delete_directory(slug):
    found = _directory(slug)
    row = next(r for r in overview.rows(utcnow(), ops_settings()) if r.id == found.id)
    form = DeleteForm()
    if form.validate_on_submit():
        try:
            directories.delete(found.slug, form.force.data, actor())
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(f"Directory {found.name} is deleted.", "success")
            return redirect(url_for("admin.directories", directory=directories.DEFAULT_SLUG))
    status = 400 if form.errors else 200
    return render_template("admin/directory_delete.html", form=form, found=found,
                           row=row), status


@bp.get("/directories/compare")
@reader_required
def compare_page():
    form, a, b = _pair()
    section = request.args.get("show", "")
    section = section if section in compare.SECTIONS else compare.SECTIONS[0]
    result = None
    if a and b:
        result = compare.report(a.id, b.id, section, _page_number())
        trail.viewed("directory", f"compare {a.slug} {b.slug}")
    return render_template("admin/directory_compare.html", form=form, a=a, b=b,
                           section=section, result=result)


@bp.get("/directories/compare.csv")
@reader_required
def compare_csv():
    _, a, b = _pair()
    if not (a and b):
        return redirect(url_for("admin.compare_page", **request.args))
    trail.exported("directory", f"compare-{a.slug}-{b.slug}.csv")
    rows = compare.export(a.id, b.id)
    response = Response(stream_with_context(csv_stream(rows)), mimetype="text/csv")
    name = f"rollcall-compare-{a.slug}-{b.slug}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _pair():
    """The compare form and its two directories (None until two different ones are chosen)."""
    choices = [(d.slug, f"{d.name} ({d.slug})" + (" · staging" if d.staging else ""))
               for d in directories.all()]
    form = CompareForm(request.args)
    form.a.choices = form.b.choices = choices
    if "a" not in request.args:
        return _default_pair(form), None, None
    if not form.validate():
        return form, None, None
    if form.a.data == form.b.data:
        form.b.errors = ["Choose two different directories."]
        return form, None, None
    return form, directories.by_slug(form.a.data), directories.by_slug(form.b.data)


def _default_pair(form: CompareForm) -> CompareForm:
    """A staging directory against the default one, when there is one."""
    staging = [d for d in directories.all() if d.staging]
    form.a.data = staging[0].slug if staging else directory_scope.current().slug
    form.b.data = directories.DEFAULT_SLUG
    return form


def _directory(slug: str):
    try:
        return directories.by_slug(slug)
    except NotFound:
        abort(404)


def _page_number() -> int:
    return max(1, min(request.args.get("page", 1, type=int), 1_000_000))


def _list(form: DirectoryForm, status: int = 200):
    rows = overview.rows(utcnow(), ops_settings())
    return render_template("admin/directories.html", form=form, rows=rows,
                           tenant_url=directory_scope.tenant_url), status
