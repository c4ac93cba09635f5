"""The mapping workbench: try an Entra attribute mapping before provisioning is turned on.

Evaluating, checking against the directory and exporting are GET requests (the form's
state lives in the query string), so auditors can use them and the page works without
JavaScript; saving and importing are admin POSTs with CSRF tokens.
"""

import json

from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.forms import ConfirmForm
from blueprints.forms import MappingImportForm
from mappings import mapfile
from mappings import presets
from mappings.mapfile import MappingFileError
from mappings.mapfile import Row
from mappings.sources import SourceError
from mappings.sources import format_source
from mappings.sources import parse_source
from services import mappings as mapping_service

BLANK_ROWS = 3


@bp.get("/mappings", endpoint="mappings")
@reader_required
def mappings_page():
    return _page(_rows(request.args), check=request.args.get("action") == "check")


@bp.get("/mappings/export")
@reader_required
def export_mapping():
    rows = _rows(request.args)
    return Response(mapfile.dumps(rows), mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="entra-mapping.json"'})


@bp.post("/mappings/save")
@admin_required
def save_mapping():
    if not ConfirmForm().validate_on_submit():
        return _page(_rows(request.form), status=400, error="The form expired; save again.")
    rows = _rows(request.form)
    try:
        mapping_service.save(rows, actor())
    except MappingFileError as error:
        return _page(rows, status=400, error=f"Not saved: {error}")
    flash(f"Mapping saved ({len(rows)} rows).", "success")
    return redirect(url_for("admin.mappings", mapping="saved"))


@bp.post("/mappings/import")
@admin_required
def import_mapping():
    form = MappingImportForm()
    if not form.validate_on_submit():
        return _page(_default_rows(), status=400, error="The form expired; import again.")
    upload = form.file.data
    text = upload.read(mapfile.MAX_FILE + 1) if upload else (form.text.data or "")
    try:
        rows = mapfile.loads(text)
    except MappingFileError as error:
        return _page(_default_rows(), status=400, error=f"Not imported: {error}")
    flash(f"Imported {len(rows)} rows. Evaluate them, then save to keep them.", "info")
    return _page(rows)


def _page(rows: list[Row], check: bool = False, status: int = 200, error: str | None = None):
    args = request.args
    person = args.get("person") if args.get("person") in presets.PEOPLE else "complete"
    values_text = _text(args, "values", presets.PEOPLE[person][1], person_action=True)
    change_text = _text(args, "change", presets.DEFAULT_CHANGE)
    try:
        source, change = parse_source(values_text), parse_source(change_text)
    except SourceError as problem:
        error, source, change = f"Source values: {problem}", {}, {}
    report = mapping_service.evaluate(rows, source, change) if rows else None
    census = mapping_service.check_directory(rows) if check and rows else None
    return render_template(
        "admin/mappings.html", rows=rows, blank=BLANK_ROWS, report=report, census=census,
        post_json=_json(report.post) if report else "",
        patch_json=_json(report.patch) if report and report.patch else "",
        people=presets.PEOPLE, person=person, values_text=values_text,
        change_text=change_text, presets=presets.MAPPINGS, saved=mapping_service.saved(),
        mapping=args.get("mapping", ""), error=error, save_form=ConfirmForm(),
        import_form=MappingImportForm(), limit=mapping_service.MAX_CHECKED), status


def _json(body: dict) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def _text(args, name: str, default: dict, person_action: bool = False) -> str:
    if name in args and not (person_action and args.get("action") == "load-person"):
        return args[name]
    return format_source(default)


def _rows(form) -> list[Row]:
    """The rows the form holds; a preset's when asked to load one; else the saved mapping."""
    choice = form.get("mapping", "")
    if form.get("action") == "load-mapping" or "target" not in form:
        return _preset(choice)
    sources, targets = form.getlist("source"), form.getlist("target")
    matching = form.getlist("matching")
    rows = []
    for i, (source, target) in enumerate(zip(sources, targets, strict=False)):
        if source.strip() or target.strip():
            precedence = matching[i].strip() if i < len(matching) else ""
            rows.append(Row(source.strip(), target.strip(),
                            int(precedence) if precedence.isdigit() and len(precedence) < 4
                            else None))
    return rows[:mapfile.MAX_ROWS]


def _preset(choice: str) -> list[Row]:
    if choice in presets.MAPPINGS:
        return list(presets.MAPPINGS[choice][1])
    return _default_rows()


def _default_rows() -> list[Row]:
    return mapping_service.saved() or list(presets.MAPPINGS["entra-default"][1])
