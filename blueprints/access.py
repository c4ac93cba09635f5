"""Who may do what in the admin UI: admins change things, auditors only read."""

from functools import wraps

from flask import abort
from flask_login import current_user


def role_required(*roles):
    """Refuse (403) signed-in users whose role is not in `roles`; anonymous ones go to sign-in."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required("admin")
reader_required = role_required("admin", "auditor")
