"""Functions are Django permissions ("app_label.codename"). Each app names its own in a
`permissions` module; this module is how every view and service checks one, and how a refusal
names the missing function in the user's language."""

from functools import wraps

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from core.actors import Actor


def function_label(perm: str) -> str:
    """The function's name in the user's language, from the permission's stored (English) name."""
    app_label, codename = perm.split(".")
    name = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .values_list("name", flat=True)
        .first()
    )
    return gettext(name or perm)


def missing_function_message(perm: str) -> str:
    return gettext(
        "You do not have the function “%(function)s” needed here. "
        "An administrator can grant it in Administration › User management."
    ) % {"function": function_label(perm)}


def function_required(perm: str):
    """View decorator: 403 naming the missing function. Deny by default, checked on the server."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied(missing_function_message(perm))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_function(actor: Actor, perm: str) -> None:
    """The check services make again, whoever calls them (deny by default)."""
    if not actor.has_perm(perm):
        raise PermissionDenied(missing_function_message(perm))
