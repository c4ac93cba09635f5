"""Deactivating users chosen by an admin (the orphan report's bulk action).

Each user goes through the Users PATCH (services/users), so each deactivation is its own
transaction with its own change record naming the admin: never a delete, never silent.
"""

from scim.patch import PATCH_OP
from services import errors
from services import users

MAX_USERS = 500
_DEACTIVATE = {"schemas": [PATCH_OP],
               "Operations": [{"op": "replace", "path": "active", "value": False}]}


def deactivate(user_ids: list[str], actor) -> list[str]:
    """Deactivate the visible users of the current directory among `user_ids`.

    Returns the ids that changed; ids of other directories, unknown or hidden users, and
    users already inactive are passed over. At most MAX_USERS ids are taken.
    """
    changed = []
    for user_id in dict.fromkeys(user_ids[:MAX_USERS]):
        try:
            before = users.get(user_id).active
        except errors.NotFound:
            continue
        if before:
            users.patch(user_id, _DEACTIVATE, actor)
            changed.append(user_id)
    return changed
