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
from services import rules
from services import tokens


class WholeNumberField(IntegerField):
    """An IntegerField that says what to type rather than "Not a valid integer value"."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number, e.g. 90.") from error


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username."),
                                                   Length(max=100)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField("Current password",
                            validators=[DataRequired("Enter your current password.")],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password."), Length(
            min=admins.MIN_PASSWORD, max=admins.MAX_PASSWORD,
            message=f"Use {admins.MIN_PASSWORD} to {admins.MAX_PASSWORD} characters.")],
        description=f"At least {admins.MIN_PASSWORD} characters. A passphrase works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Enter the new password again."),
                                        EqualTo("new", "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries only the CSRF token."""


class TokenForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter a name."), Length(
            max=tokens.MAX_NAME, message=f"Use at most {tokens.MAX_NAME} characters.")],
        description=f"To recognise the token by, e.g. entra-production. At most "
                    f"{tokens.MAX_NAME} characters.",
        render_kw={"maxlength": tokens.MAX_NAME})
    days = WholeNumberField(
        "Expires after (days)", default=tokens.DEFAULT_DAYS,
        validators=[InputRequired("Enter a number of days."),
                    NumberRange(1, tokens.MAX_DAYS, message=f"Enter a number of days from 1 to "
                                                            f"{tokens.MAX_DAYS:,}.")],
        description="Rotate the token before it expires: an expired token puts Entra's "
                    "provisioning job in quarantine.",
        render_kw={"inputmode": "numeric", "min": 1, "max": tokens.MAX_DAYS},
    )


_TYPE_LABELS = {"string": "String", "boolean": "Boolean", "integer": "Integer",
                "decimal": "Decimal", "dateTime": "DateTime", "reference": "Reference (URI)"}
# Choices as {value: label}: WTForms 3.3 deprecates lists of tuples.
FIELD_TYPES = {t: _TYPE_LABELS.get(t, t) for t in custom_fields.TYPES}


_LONG = "Use at most 1,000 characters."


class CustomFieldForm(FlaskForm):
    name = StringField(
        "Attribute name",
        validators=[DataRequired("Enter a name."),
                    Regexp(custom_fields.NAME.pattern,
                           message="Start with a letter; use letters, digits, - "
                                   "and _ only (at most 64 characters).")],
        description="The SCIM attribute name, e.g. costCode: a letter, then letters, digits, "
                    "- or _, at most 64 characters. It cannot be changed later.",
        render_kw={"autocapitalize": "none", "spellcheck": "false", "maxlength": 64},
    )
    type = SelectField("Type", choices=FIELD_TYPES, default="string",
                       validators=[InputRequired("Choose a type.")])
    multi_valued = BooleanField("Multi-valued (a list of values)",
                                description="Entra sends single values only to custom apps.")
    description = TextAreaField("Description", validators=[Length(max=1000, message=_LONG)],
                                description="Shown in /Schemas. At most 1,000 characters.",
                                render_kw={"maxlength": 1000})


class DescriptionForm(FlaskForm):
    description = TextAreaField("Description", validators=[Length(max=1000, message=_LONG)],
                                description="Shown in /Schemas. At most 1,000 characters.",
                                render_kw={"maxlength": 1000})


_DAYS = f"Enter a whole number of days from 1 to {rules.MAX_RETENTION_DAYS:,}."


class RulesForm(FlaskForm):
    matching_attribute = RadioField(
        "Matching attribute (unique per user)",
        choices={"userName": "userName", "email": "Work email (unique)"},
        validators=[InputRequired("Choose one.")])
    require_email = BooleanField(
        "Require an email address (refuse creating a user without one, or removing it; "
        "deactivating or deleting a user is never refused)")
    seat_limit = WholeNumberField(
        "Seat limit", validators=[Optional(), NumberRange(min=1, message="Enter 1 or more, or "
                                                                         "leave it empty.")],
        description="Active users allowed. Users beyond it are created deactivated and wait "
                    "for a seat. Leave empty for no limit.",
        render_kw={"inputmode": "numeric", "min": 1})
    link_on_create = BooleanField(
        "Link on create: a POST for a user that exists (same userName or externalId, or "
        "work email when it is the matching attribute) updates what it carries and returns "
        "that user instead of 409; keys naming two different users stay a 409")
    delete_mode = RadioField(
        "When Entra deletes a user",
        choices={"delete": "Delete the user",
                 "deactivate": "Deactivate and hide the user (kept for the record; its group "
                               "memberships end, and a later POST of it starts without groups)"},
        validators=[InputRequired("Choose one.")])
    unknown_attributes = RadioField(
        "Attributes Rollcall does not know",
        choices={"ignore": "Ignore them and note them on the request log",
                 "reject": "Reject the request with 400"},
        validators=[InputRequired("Choose one.")])
    audit_retention_days = WholeNumberField(
        "Keep audit records for (days)",
        validators=[Optional(), NumberRange(1, rules.MAX_RETENTION_DAYS, message=_DAYS)],
        description="From 1 to 3,650. Older request-log and change records are deleted by "
                    "`flask --app app audit prune` (run it daily); what remains still verifies.",
        render_kw={"inputmode": "numeric", "min": 1, "max": rules.MAX_RETENTION_DAYS})
    body_retention_days = WholeNumberField(
        "Keep request and response bodies for (days)",
        validators=[Optional(), NumberRange(1, rules.MAX_RETENTION_DAYS, message=_DAYS)],
        description="From 1 to 3,650. The bodies of SCIM writes (redacted, at most 64 KiB "
                    "each) are blanked after this many days by `audit prune` or "
                    "`audit prune-bodies`.",
        render_kw={"inputmode": "numeric", "min": 1, "max": rules.MAX_RETENTION_DAYS})

    def values(self) -> dict:
        return {
            "matching_attribute": self.matching_attribute.data,
            "require_email": bool(self.require_email.data),
            "seat_limit": self.seat_limit.data,
            "link_on_create": bool(self.link_on_create.data),
            "delete_mode": self.delete_mode.data,
            "unknown_attributes": self.unknown_attributes.data,
            # Left empty: kept as they are (a form posted before these fields existed).
            **{key: self[key].data for key in rules.RETENTION if self[key].data is not None},
        }

    NAMES = {"matching_attribute": "matching attribute", "require_email": "email required",
             "seat_limit": "seat limit", "link_on_create": "link on create",
             "delete_mode": "what a delete does", "unknown_attributes": "unknown attributes",
             "audit_retention_days": "audit records kept (days)",
             "body_retention_days": "bodies kept (days)"}

    def describe(self, changes: dict) -> str:
        """"seat limit: none → 50; bodies kept (days): 30 → 7", in the admin's words."""
        def shown(key, value):
            field = self[key]
            if value is None or value == "":
                return "none"
            if isinstance(value, bool):
                return "on" if value else "off"
            return dict(field.choices).get(value, value) if hasattr(field, "choices") else value

        return "; ".join(f"{self.NAMES.get(key, key)}: {shown(key, before)} → {shown(key, after)}"
                         for key, (before, after) in changes.items())


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
    department = StringField("Department", validators=[Optional(), Length(max=512)],
                             description="Contains; pick from the list or type part of it",
                             render_kw={"list": "department-values", "type": "search"})
    division = StringField("Division", validators=[Optional(), Length(max=512)],
                           render_kw={"list": "division-values", "type": "search"})
    organization = StringField("Organisation", validators=[Optional(), Length(max=512)],
                               render_kw={"list": "organization-values", "type": "search"})
    manager = HiddenField()


class MappingImportForm(FlaskForm):
    """A mapping JSON file, or its text pasted (docs/mappings.md describes the format)."""

    file = FileField("JSON file")
    text = TextAreaField("Or paste the JSON", validators=[Length(max=512 * 1024)])


def show_error(form, error, field: str | None = None) -> None:
    """Put a service's refusal (services/errors.py) on the form, as a sentence.

    On `field`, else on the field the error names when the form has it, else above the form.
    """
    detail = error.detail
    message = detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")
    target = getattr(form, field or getattr(error, "field", None) or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
    else:
        form.form_errors.append(message)
