"""Gestione Utenti: who may do what. Functions are permissions, granted per user.

Every change of a user (name, e-mail, active, functions granted or revoked) is kept in its
history with the `actor` who made it; an actor of None is the system (a command, the demo
data)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor as User
from core.exceptions import DomainError
from core.history import record_changes_by
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
    model = get_user_model()
    # As UserManager.create_user, but the history's first record must already name the actor.
    user = model(
        username=model.normalize_username(username),
        first_name=first_name,
        last_name=last_name,
        email=model.objects.normalize_email(email),
    )
    user.set_password(password)
    record_changes_by(user, actor)
    user.save()
    set_user_functions(user=user, functions=functions, actor=actor)
    return user


@transaction.atomic
def set_user_functions(*, user: User, functions: Iterable[Permission], actor: User | None) -> None:
    """Grant exactly the given functions among the project's; other permissions are untouched.
    Only what changes is written, so the history shows each grant and revocation once."""
    managed = list(function_permissions())
    wanted = {p.pk for p in functions}
    held = set(user.user_permissions.values_list("pk", flat=True))
    record_changes_by(user, actor)
    revoked = [p for p in managed if p.pk in held and p.pk not in wanted]
    granted = [p for p in managed if p.pk in wanted and p.pk not in held]
    if revoked:
        user.user_permissions.remove(*revoked)
    if granted:
        user.user_permissions.add(*granted)


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
    record_changes_by(user, actor)
    if (user.first_name, user.last_name, user.email) != (first_name, last_name, email):
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["first_name", "last_name", "email"])
    set_user_functions(user=user, functions=functions, actor=actor)
    return user


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: User) -> User:
    if user.pk == actor.pk and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.is_active != active:
        record_changes_by(user, actor)
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user
