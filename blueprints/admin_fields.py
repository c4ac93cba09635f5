"""Custom fields: declare, describe, retire, restore (the CLI's `custom-fields` does the same)."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for

from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.forms import ConfirmForm
from blueprints.forms import CustomFieldForm
from blueprints.forms import DescriptionForm
from scim.errors import SCIMError
from services import custom_fields


@bp.get("/fields", endpoint="fields")
@reader_required
def fields_page():
    return _list(CustomFieldForm())


@bp.post("/fields")
@admin_required
def declare_field():
    form = CustomFieldForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    try:
        custom_fields.define(form.name.data, form.type.data, form.multi_valued.data,
                             form.description.data, actor())
    except SCIMError as error:
        form.name.errors = [_sentence(error.detail)]
        return _list(form, 400)
    flash(f"Custom field {form.name.data} is declared. It is in /Schemas now as "
          f"{custom_fields.urn()}:{form.name.data}.", "success")
    return redirect(url_for("admin.fields"))


@bp.route("/fields/<name>/edit", methods=["GET", "POST"])
@admin_required
def edit_field(name):
    field = _field(name)
    form = DescriptionForm(obj=field)
    if not form.validate_on_submit():
        return _page("admin/field_edit.html", form, field)
    custom_fields.describe(field.name, form.description.data, actor())
    flash(f"The description of {field.name} is saved.", "success")
    return redirect(url_for("admin.fields"))


@bp.route("/fields/<name>/retire", methods=["GET", "POST"])
@admin_required
def retire_field(name):
    field = _field(name)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page("admin/field_retire.html", form, field)
    custom_fields.retire(field.name, actor())
    flash(f"Custom field {field.name} is retired: it has left /Schemas, and writes that "
          "carry it ignore it. Its values are kept; restore it to bring them back.", "success")
    return redirect(url_for("admin.fields"))


@bp.post("/fields/<name>/restore")
@admin_required
def restore_field(name):
    field = _field(name, retired=True)
    if ConfirmForm().validate_on_submit():
        custom_fields.restore(field.name, actor())
        flash(f"Custom field {field.name} is restored, with the values its users held.",
              "success")
    return redirect(url_for("admin.fields"))


def _field(name: str, retired: bool = False):
    field = next((f for f in custom_fields.all_fields() if f.name == name), None)
    if field is None or (field.retired_at is not None) != retired:
        abort(404)
    return field


def _page(template: str, form, field):
    return render_template(template, form=form, field=field, urn=custom_fields.urn()), \
        400 if form.errors else 200


def _list(form: CustomFieldForm, status: int = 200):
    return render_template("admin/fields.html", fields=custom_fields.all_fields(), form=form,
                           urn=custom_fields.urn()), status


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
