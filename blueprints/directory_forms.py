"""Forms of the Directories, comparison and orphan pages; those that post carry a CSRF token."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp

from blueprints.forms import WholeNumberField

SLUG_HINT = ("Lower-case letters, digits and hyphens: the last part of the Tenant URL, "
             "/scim/v2/<slug>. It cannot change later.")


class DirectoryForm(FlaskForm):
    slug = StringField("Slug", validators=[
        DataRequired("Enter a slug."), Length(max=64, message="Use at most 64 characters."),
        Regexp(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
               message="Use lower-case letters, digits and hyphens, e.g. entra-staging.")],
        description=SLUG_HINT, render_kw={"maxlength": 64, "autocapitalize": "none",
                                          "spellcheck": "false"})
    name = StringField("Name", validators=[Optional(), Length(max=200)],
                       description="What admins call it, e.g. Entra staging. The slug if empty.",
                       render_kw={"maxlength": 200})
    staging = BooleanField("Staging directory",
                           description="For trying a connection, mapping or scoping filter "
                                       "before production: its pages say so.")


class RenameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=200)],
                       render_kw={"maxlength": 200})


class DeleteForm(FlaskForm):
    force = BooleanField("Delete its users and groups too",
                         description="Required when the directory holds users. Its change "
                                     "records and request log stay in the audit trail.")


class CompareForm(FlaskForm):
    """Which two directories to compare: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    a = SelectField("Directory A", validators=[InputRequired()],
                    description="Typically the staging directory.")
    b = SelectField("Directory B", validators=[InputRequired()],
                    description="Typically production.")


class OrphanFilterForm(FlaskForm):
    """The orphan report's period: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    days = WholeNumberField("Untouched for more than (days)", default=90, validators=[
        Optional(), NumberRange(1, 36500, message="Enter a number of days from 1 to 36,500.")])


class DeactivateForm(FlaskForm):
    """The bulk action: the chosen users come as `user` checkboxes beside the CSRF token."""
