"""Users: the SCIM resource as JSON plus indexed copies of what filters use."""

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .base import JSONType
from .base import db
from .base import utcnow
from .directory import directory_column


class User(db.Model):
    """`data` holds the canonical SCIM dict; the other columns are its indexed copies."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    directory_id: Mapped[int] = directory_column()
    user_name: Mapped[str] = mapped_column(String(512))
    # scim.casefold.key(user_name): what lookups and the uniqueness index compare.
    user_name_key: Mapped[str | None] = mapped_column(String(1024))
    external_id: Mapped[str | None] = mapped_column(String(512))
    display_name: Mapped[str | None] = mapped_column(String(512))
    given_name: Mapped[str | None] = mapped_column(String(512))
    family_name: Mapped[str | None] = mapped_column(String(512))
    title: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    employee_number: Mapped[str | None] = mapped_column(String(512))
    department: Mapped[str | None] = mapped_column(String(512))
    division: Mapped[str | None] = mapped_column(String(512))
    organization: Mapped[str | None] = mapped_column(String(512))
    cost_center: Mapped[str | None] = mapped_column(String(512))
    manager_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL")
    )
    # A manager not yet linked: the employeeNumber as sent, until a user with it is
    # written (services/users/managers.py); manager_id is then set and this cleared.
    manager_ref: Mapped[str | None] = mapped_column(String(512))
    # Waiting for a seat: created deactivated because the seat limit was reached.
    seat_waiting: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hidden by a soft DELETE: gone from SCIM, kept for the audit trail.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSONType)
    # Values of retired custom fields, {field name: value}: out of `data`, so no read or
    # write sees them, and kept for a restore (services/custom_fields.py).
    retired_values: Mapped[dict | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    values: Mapped[list["UserValue"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ux_users_user_name_key", directory_id, user_name_key, unique=True),
        # Listing: WHERE directory_id = ? AND hidden IS false ORDER BY created, id, and its
        # count, from the index.
        Index("ix_users_listing", directory_id, hidden, created, id),
        Index("ix_users_external_id", external_id),
        Index("ix_users_display_name", func.lower(display_name)),
        Index("ix_users_employee_number", func.lower(employee_number)),
        Index("ix_users_department", func.lower(department)),
        Index("ix_users_division", func.lower(division)),
        Index("ix_users_organization", func.lower(organization)),
        Index("ix_users_given_name", func.lower(given_name)),
        Index("ix_users_family_name", func.lower(family_name)),
        # Partial, as ix_group_members_member_group_id: NULL in most rows, a full index
        # is rated useless once ANALYZE has run, and SQLite then read every user on each
        # create (the reports waiting for it) and each DELETE (the leaver's reports).
        Index("ix_users_manager_id", manager_id,
              sqlite_where=text("manager_id IS NOT NULL"),
              postgresql_where=text("manager_id IS NOT NULL")),
        Index("ix_users_manager_ref", manager_ref,
              sqlite_where=text("manager_ref IS NOT NULL"),
              postgresql_where=text("manager_ref IS NOT NULL")),
    )


class UserValue(db.Model):
    """One value of a multi-valued attribute (emails, phoneNumbers, addresses, ...)."""

    __tablename__ = "user_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Its user's directory, so that a lookup by value (a work email) stays in the directory.
    directory_id: Mapped[int] = directory_column()
    # "emails", or "<extension urn>:<name>" for a multi-valued custom field.
    attr: Mapped[str] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(String(4096))
    # scim.casefold.key(value) for string values: what email lookups and filters compare.
    value_key: Mapped[str | None] = mapped_column(String(8192))
    type: Mapped[str | None] = mapped_column(String(128))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[str | None] = mapped_column(String(512))
    # The whole entry, for sub-attributes without a column (addresses' locality, ...).
    entry: Mapped[dict] = mapped_column(JSONType)

    user: Mapped[User] = relationship(back_populates="values")

    __table_args__ = (Index("ix_user_values_attr_value_key", directory_id, attr, value_key),)
