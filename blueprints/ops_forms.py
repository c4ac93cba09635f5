"""Forms of the health pages: alert channels, and the bare CSRF form of their buttons."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from services import outbound
from services.ops.channels import SECURITY


class VerifyForm(FlaskForm):
    """A button: only the CSRF token."""


class EmailForm(FlaskForm):
    enabled = BooleanField("Send alerts by e-mail")
    host = StringField("SMTP server", validators=[Optional(), Length(max=200)])
    port = IntegerField("Port", default=587, validators=[Optional(), NumberRange(1, 65535)])
    security = RadioField("Connection", default="starttls",
                          choices={"starttls": "STARTTLS", "ssl": "TLS (SMTPS)",
                                   "none": "None (local relay only)"})
    username = StringField("User name", validators=[Optional(), Length(max=200)])
    password = PasswordField("Password", description="Stored, never shown again. Leave empty "
                             "to keep the current one.", validators=[Length(max=500)])
    sender = StringField("From", validators=[Optional(), Length(max=200)])
    recipients = StringField("To", description="One or more addresses, separated by commas.",
                             validators=[Optional(), Length(max=1000)])

    def validate_host(self, field):
        if self.enabled.data and not (field.data or "").strip():
            raise ValidationError("An SMTP server is needed to send e-mail.")

    def validate_recipients(self, field):
        if self.enabled.data and "@" not in (field.data or ""):
            raise ValidationError("Give at least one address to send alerts to.")

    def settings(self) -> dict:
        return {"host": (self.host.data or "").strip(), "port": self.port.data or 587,
                "security": self.security.data if self.security.data in SECURITY else "starttls",
                "username": (self.username.data or "").strip(),
                "sender": (self.sender.data or "").strip(),
                "recipients": (self.recipients.data or "").strip()}


class WebhookForm(FlaskForm):
    enabled = BooleanField("Send alerts to a webhook")
    url = StringField("URL", validators=[Optional(), Length(max=500)])
    secret = PasswordField("Signing secret", description="HMAC-SHA256 key shared with the "
                           "receiver. Stored, never shown again. Leave empty to keep the "
                           "current one.", validators=[Length(max=500)])

    def validate_url(self, field):
        value = (field.data or "").strip()
        if value:
            try:
                outbound.check(value, resolve=False)
            except outbound.Refused as refused:
                raise ValidationError(f"Rollcall does not send there: {refused}.") from None
        if self.enabled.data and not value:
            raise ValidationError("A URL is needed to send alerts.")
