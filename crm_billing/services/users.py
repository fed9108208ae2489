"""Gestione Utenti: who may do what. Functions are permissions, granted per user."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor as User
from core.exceptions import DomainError
from crm_billing.functions import function_permissions


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    functions: Iterable[Permission] = (),
    actor: User | None,
) -> User:
    """A new account with exactly the given functions. `actor` is None for a command (demo
    data), which the history then shows as the system."""
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    set_user_functions(user=user, functions=functions, actor=actor)
    return user


@transaction.atomic
def set_user_functions(*, user: User, functions: Iterable[Permission], actor: User | None) -> None:
    """Grant exactly the given functions among the project's; other permissions are untouched."""
    managed = list(function_permissions())
    wanted = {p.pk for p in functions}
    user.user_permissions.remove(*[p for p in managed if p.pk not in wanted])
    user.user_permissions.add(*[p for p in managed if p.pk in wanted])


@transaction.atomic
def update_user(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    functions: Iterable[Permission],
    actor: User,
) -> User:
    """The user's name, e-mail and functions, saved together."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    set_user_functions(user=user, functions=functions, actor=actor)
    return user


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: User) -> User:
    if user.pk == actor.pk and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user
