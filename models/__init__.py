"""Database models; `db` is the one Flask-SQLAlchemy handle."""

from . import scoping  # noqa: F401,I001 - the listener that scopes ORM statements
from .admin import AdminSession
from .admin import AdminUser
from .audit import ChangeRecord
from .audit import RequestLog
from .base import db
from .base import utcnow
from .custom_field import CustomField
from .directory import Directory
from .event import Event
from .event import EventDelivery
from .event import EventKey
from .event import EventLease
from .event import EventSubscription
from .group import Group
from .group import GroupMember
from .ops import OpsAlert
from .ops import OpsChannel
from .ops import OpsDelivery
from .ops import OpsLease
from .setting import Setting
from .token import ApiToken
from .user import User
from .user import UserValue

__all__ = [
    "AdminSession", "AdminUser", "ApiToken", "ChangeRecord", "CustomField", "Directory", "Event",
    "EventDelivery", "EventKey", "EventLease", "EventSubscription", "Group", "GroupMember",
    "OpsAlert", "OpsChannel", "OpsDelivery", "OpsLease", "RequestLog", "Setting", "User",
    "UserValue", "db", "utcnow",
]
