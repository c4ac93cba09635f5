"""Directories: create, rename, delete, look up. Each call is one transaction with its record.

A directory's slug is its Tenant URL's last segment (`/scim/v2/<slug>`), so it is a URL
segment no SCIM route begins with. The default directory (id 1, slug "default") serves the
plain `/scim/v2` and can be neither deleted nor renamed to another slug.
"""

import re
import time

from sqlalchemy import delete as sql_delete
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import CustomField
from models import Directory
from models import Group
from models import GroupMember
from models import Setting
from models import User
from models import UserValue
from models import db
from models.directory import DEFAULT_ID
from models.directory import DEFAULT_SLUG
from services import audit
from services import caches
from services import errors
from services import tx
from services.audit import Target
from services.context import in_directory

__all__ = ["DEFAULT_ID", "DEFAULT_SLUG", "all", "by_slug", "create", "delete", "get", "rename"]

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_NAME = 200
# First segments of the SCIM routes (blueprints/scim*.py), compared case-insensitively:
# a directory so named would shadow them under /scim/v2.
RESERVED = {"users", "groups", "bulk", "me", "schemas", "resourcetypes",
            "serviceproviderconfig", "openapi.json", ".search"}

# {slug: (read at, id)}: a few seconds, so a directory deleted and created again under
# its slug reaches every worker process soon.
_by_slug: dict[str, tuple[float, int]] = {}
_slugs: dict[int, tuple[float, str]] = {}
_TTL = 5.0


def all() -> list[Directory]:  # noqa: A001 - the contract's name: directories.all()
    return list(db.session.execute(select(Directory).order_by(Directory.id)).scalars())


def get(directory_id: int) -> Directory:
    """:raise errors.NotFound: when no directory has this id."""
    found = db.session.get(Directory, directory_id)
    if found is None:
        raise errors.NotFound(f"no directory with id {directory_id}")
    return found


def by_slug(slug: str) -> Directory:
    """:raise errors.NotFound: when no directory has this slug."""
    found = db.session.execute(
        select(Directory).where(Directory.slug == (slug or "").lower())).scalar_one_or_none()
    if found is None:
        raise errors.NotFound(f"no directory {slug!r}")
    return found


def id_for_slug(slug: str) -> int | None:
    """The id of directory `slug`, or None; remembered per process (it runs per SCIM request)."""
    key, now = slug or "", time.monotonic()
    cached = _by_slug.get(key)
    if cached is None or now - cached[0] > _TTL:
        found = db.session.execute(select(Directory.id).where(Directory.slug == key)).scalar()
        if found is None:
            return None
        if len(_by_slug) > 1000:
            _by_slug.clear()
        _by_slug[key] = cached = (now, found)
    return cached[1]


def slug_of(directory_id: int) -> str:
    """The slug of directory `directory_id` ("" when it is gone), remembered like `id_for_slug`."""
    now = time.monotonic()
    cached = _slugs.get(directory_id)
    if cached is None or now - cached[0] > _TTL:
        found = db.session.execute(select(Directory.slug).where(Directory.id == directory_id))
        _slugs[directory_id] = cached = (now, found.scalar() or "")
    return cached[1]


@caches.register
def forget_cached() -> None:
    _by_slug.clear()
    _slugs.clear()


def create(slug: str, name: str | None, staging: bool, actor) -> Directory:
    """:raise errors.Invalid: for a bad slug or name. :raise errors.Conflict: slug taken."""
    slug = _check_slug(slug)
    name = _check_name(name or slug)
    with tx.write() as session:
        if session.execute(select(Directory.id).where(Directory.slug == slug)).first():
            raise errors.Conflict(f"a directory {slug!r} exists already", "slug")
        directory = Directory(slug=slug, name=name, staging=bool(staging))
        session.add(directory)
        session.flush()
        with in_directory(directory.id):
            audit.record(session, actor, "directory.create", _target(directory),
                         {"name": [None, name], "staging": [None, bool(staging)]})
        tx.keep_loaded(session, directory)
    return directory


def rename(slug: str, name: str, actor) -> Directory:
    """Give directory `slug` a new display name (its slug, and so its URL, stay)."""
    name = _check_name(name)
    with tx.write() as session:
        directory = _locked(session, slug)
        if directory.name != name:
            with in_directory(directory.id):
                audit.record(session, actor, "directory.rename", _target(directory),
                             {"name": [directory.name, name]})
            directory.name = name
        tx.keep_loaded(session, directory)
    return directory


def delete(slug: str, force: bool, actor) -> None:
    """Delete a directory with its users, groups, tokens and custom fields.

    Its change records and request log stay (the audit chain spans every directory).
    :raise errors.Conflict: for the default directory, or one that holds users unless `force`.
    """
    with tx.write() as session:
        directory = _locked(session, slug)
        if directory.id == DEFAULT_ID:
            raise errors.Conflict("the default directory cannot be deleted", "slug")
        with in_directory(directory.id):
            counts = _counts(session)
            if counts["users"] and not force:
                raise errors.Conflict(f"directory {directory.slug!r} holds {counts['users']} "
                                      "users; delete it with force to delete them too", "slug")
            _delete_rows(session, directory.id)
            audit.record(session, actor, "directory.delete", _target(directory),
                         {"name": [directory.name, None], **{k: [v, 0] for k, v in counts.items()}})
        session.delete(directory)
    caches.clear()


def _counts(session) -> dict:
    return {"users": session.execute(select(func.count()).select_from(User)).scalar(),
            "groups": session.execute(select(func.count()).select_from(Group)).scalar()}


def _delete_rows(session, directory_id: int) -> None:
    groups = select(Group.id).where(Group.directory_id == directory_id)
    session.execute(sql_delete(GroupMember).where(GroupMember.group_id.in_(groups)))
    for model in (UserValue, Group, User, ApiToken, CustomField):
        session.execute(sql_delete(model).where(model.directory_id == directory_id))
    # Its provisioning rules (services/settings.py keeps them as "<key>@<directory id>").
    session.execute(sql_delete(Setting).where(Setting.key.like(f"%@{directory_id}")))


def _locked(session, slug: str) -> Directory:
    return tx.locked_one(session, select(Directory).where(Directory.slug == (slug or "").lower()),
                         f"no directory {slug!r}")


def _target(directory: Directory) -> Target:
    return Target("Directory", directory.slug, directory.name)


def _check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG.fullmatch(slug):
        raise errors.Invalid("a slug is 1 to 64 lower-case letters, digits and hyphens, "
                             "starting and ending with a letter or digit", "slug")
    if slug in RESERVED or slug == DEFAULT_SLUG:
        raise errors.Invalid(f"{slug!r} is reserved", "slug")
    return slug


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise errors.Invalid(f"a name is 1 to {MAX_NAME} characters", "name")
    return name
