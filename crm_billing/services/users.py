"""Gestione Utenti: who may do what. Functions are permissions, granted per user."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.exceptions import DomainError
from crm_billing.functions import function_permissions


@transaction.atomic
def create_user(*, username, password, first_name="", last_name="", email="", functions=()):
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    set_user_functions(user=user, functions=functions)
    return user


@transaction.atomic
def set_user_functions(*, user, functions):
    """Grant exactly the given functions among the project's; other permissions are untouched."""
    managed = list(function_permissions())
    wanted = {p.pk for p in functions}
    user.user_permissions.remove(*[p for p in managed if p.pk not in wanted])
    user.user_permissions.add(*[p for p in managed if p.pk in wanted])


@transaction.atomic
def set_user_active(*, user, active, actor):
    if user.pk == actor.pk and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def update_user(*, form):
    """Save a validated UserFunctionsForm: the user's data and functions together."""
    user = form.save()
    set_user_functions(user=user, functions=form.cleaned_data["functions"])
    return user
