"""WTForms for the admin UI; every form that posts carries a CSRF token (Flask-WTF)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp

from services import admins
from services import custom_fields
from services import tokens


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=100)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(
            min=admins.MIN_PASSWORD, max=admins.MAX_PASSWORD,
            message=f"Use {admins.MIN_PASSWORD} to {admins.MAX_PASSWORD} characters.")],
        description=f"At least {admins.MIN_PASSWORD} characters. A passphrase works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries only the CSRF token."""


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)],
                       description="To recognise the token by, e.g. entra-production.")
    days = IntegerField(
        "Expires after (days)", default=tokens.DEFAULT_DAYS,
        validators=[InputRequired("Enter a number of days."),
                    NumberRange(1, tokens.MAX_DAYS)],
        description="Rotate the token before it expires: an expired token puts Entra's "
                    "provisioning job in quarantine.",
        render_kw={"inputmode": "numeric", "min": 1, "max": tokens.MAX_DAYS},
    )


_TYPE_LABELS = {"string": "String", "boolean": "Boolean", "integer": "Integer",
                "decimal": "Decimal", "dateTime": "DateTime", "reference": "Reference (URI)"}
# Choices as {value: label}: WTForms 3.3 deprecates lists of tuples.
FIELD_TYPES = {t: _TYPE_LABELS.get(t, t) for t in custom_fields.TYPES}


class CustomFieldForm(FlaskForm):
    name = StringField(
        "Attribute name",
        validators=[DataRequired(), Regexp(custom_fields.NAME.pattern,
                                           message="Start with a letter; use letters, digits, - "
                                                   "and _ only (at most 64 characters).")],
        description="The SCIM attribute name, e.g. costCode. It cannot be changed later.",
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    type = SelectField("Type", choices=FIELD_TYPES, default="string",
                       validators=[InputRequired("Choose a type.")])
    multi_valued = BooleanField("Multi-valued (a list of values)",
                                description="Entra sends single values only to custom apps.")
    description = TextAreaField("Description", validators=[Length(max=1000)],
                                description="Shown in /Schemas.")


class DescriptionForm(FlaskForm):
    description = TextAreaField("Description", validators=[Length(max=1000)])


class RulesForm(FlaskForm):
    matching_attribute = RadioField(
        "Matching attribute (unique per user)",
        choices={"userName": "userName", "email": "Work email (unique)"},
        validators=[InputRequired()])
    require_email = BooleanField("Require an email address (reject users without one)")
    seat_limit = IntegerField(
        "Seat limit", validators=[Optional(), NumberRange(min=1)],
        description="Active users allowed. Users beyond it are created deactivated and wait "
                    "for a seat. Leave empty for no limit.",
        render_kw={"inputmode": "numeric", "min": 1})
    link_on_create = BooleanField(
        "Link on create: a POST for a user that exists (same userName, work email or "
        "externalId) updates and returns that user instead of 409")
    delete_mode = RadioField(
        "When Entra deletes a user",
        choices={"delete": "Delete the user",
                 "deactivate": "Deactivate and hide the user (kept for the record)"},
        validators=[InputRequired()])
    unknown_attributes = RadioField(
        "Attributes Rollcall does not know",
        choices={"ignore": "Ignore them and note them on the request log",
                 "reject": "Reject the request with 400"},
        validators=[InputRequired()])

    def values(self) -> dict:
        return {
            "matching_attribute": self.matching_attribute.data,
            "require_email": bool(self.require_email.data),
            "seat_limit": self.seat_limit.data,
            "link_on_create": bool(self.link_on_create.data),
            "delete_mode": self.delete_mode.data,
            "unknown_attributes": self.unknown_attributes.data,
        }


STATE_CHOICES = {"": "Any state", "active": "Active", "inactive": "Inactive",
                 "waiting": "Waiting for a seat", "hidden": "Hidden (deleted in Entra)"}


class UserFilterForm(FlaskForm):
    """The directory's search form: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)],
                    description="userName, display name or email contains",
                    render_kw={"type": "search"})
    state = SelectField("State", choices=STATE_CHOICES, validators=[Optional()])
    department = StringField("Department", validators=[Optional(), Length(max=512)])
    division = StringField("Division", validators=[Optional(), Length(max=512)])
    organization = StringField("Organisation", validators=[Optional(), Length(max=512)])
    manager = HiddenField()


class MappingImportForm(FlaskForm):
    """A mapping JSON file, or its text pasted (docs/mappings.md describes the format)."""

    file = FileField("JSON file")
    text = TextAreaField("Or paste the JSON", validators=[Length(max=512 * 1024)])
