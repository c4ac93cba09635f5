"""A lease in the database, so one process of many runs the scheduled checks.

Every worker (and host) tries to take the lease each minute; it goes to whoever holds
it or finds it expired. A process that dies lets it lapse after `ttl`.
"""

import os
import socket
import uuid
from datetime import datetime
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models import OpsLease
from services import tx

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder() -> str:
    """The name of this process (it changes after a fork, so each worker has its own)."""
    global HOLDER
    if f":{os.getpid()}:" not in HOLDER:
        HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return HOLDER


def acquire(name: str, now: datetime, ttl: timedelta, me: str | None = None) -> bool:
    """Take or renew the lease `name` until now + ttl; False when another holds it."""
    me = me or holder()
    try:
        with tx.write() as session:
            taken = session.execute(
                update(OpsLease).where(OpsLease.name == name,
                                       or_(OpsLease.holder == me, OpsLease.expires_at < now))
                .values(holder=me, expires_at=now + ttl, ran_at=now))
            if taken.rowcount == 1:
                return True
            if session.get(OpsLease, name) is not None:
                return False
            session.execute(insert(OpsLease).values(name=name, holder=me,
                                                    expires_at=now + ttl, ran_at=now))
        return True
    except IntegrityError:  # another process inserted it first
        return False


def release(name: str, me: str | None = None) -> None:
    with tx.write() as session:
        session.execute(update(OpsLease).where(OpsLease.name == name,
                                               OpsLease.holder == (me or holder()))
                        .values(expires_at=datetime(1970, 1, 1)))
