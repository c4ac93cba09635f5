"""Groups and their memberships, which live in their own table so that groups scale."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import validates

from scim import casefold

from .base import JSONType
from .base import db
from .base import utcnow
from .directory import directory_column


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    directory_id: Mapped[int] = directory_column()
    display_name: Mapped[str] = mapped_column(String(512))
    # scim.casefold.key(display_name), kept by `_keep_key`: lookups and uniqueness compare it.
    display_name_key: Mapped[str | None] = mapped_column(String(1024))
    external_id: Mapped[str | None] = mapped_column(String(512))
    # Attributes other than members (the canonical dict without `members`).
    data: Mapped[dict] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (
        Index("ux_groups_display_name_key", directory_id, display_name_key, unique=True),
        Index("ix_groups_external_id", external_id),
        Index("ix_groups_listing", directory_id, created, id),  # cursor pages seek on (created, id)
    )

    @validates("display_name")
    def _keep_key(self, _name, value):
        self.display_name_key = casefold.key_or_none(value)
        return value


class GroupMember(db.Model):
    """A direct member of a group: a user or a nested group, never both."""

    __tablename__ = "group_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(36), ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    member_group_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("groups.id", ondelete="CASCADE")
    )
    # `display` as the client wrote it, returned only then (RFC 7643 §4.2); None otherwise.
    display: Mapped[str | None] = mapped_column(String(512))

    __table_args__ = (
        UniqueConstraint("group_id", "user_id", name="uq_group_members_user"),
        UniqueConstraint("group_id", "member_group_id", name="uq_group_members_group"),
        CheckConstraint(
            "(user_id IS NULL) <> (member_group_id IS NULL)", name="one_member_kind"
        ),
        # Partial: nested groups only. A full index files every user membership under
        # NULL, planner statistics then rate it useless, and after ANALYZE both databases
        # scanned all memberships to find a user's nested groups (0.02 → 8 ms a lookup).
        Index("ix_group_members_member_group_id", "member_group_id",
              sqlite_where=text("member_group_id IS NOT NULL"),
              postgresql_where=text("member_group_id IS NOT NULL")),
    )
