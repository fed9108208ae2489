"""Every function (permission) of the project, in the order Gestione Utenti lists them.

Functions are Django permissions; the constants here and in each app's permissions module are
the only places their codenames are written."""

from django.contrib.auth.models import Permission
from django.db.models import Q

from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS, SEND_TO_ERP
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.permissions import CONFIGURE_BILLING, MANAGE_USERS
from tickets.permissions import MANAGE_TICKETS

ALL_FUNCTIONS = [
    MANAGE_CONTRACTS,
    MANAGE_TICKETS,
    MANAGE_ORDERS,
    MANAGE_MASTER_DATA,
    SEND_TO_ERP,
    CONFIGURE_BILLING,
    MANAGE_USERS,
]


def function_permissions():
    """The Permission rows of ALL_FUNCTIONS, as a queryset for forms and services."""
    condition = Q()
    for perm in ALL_FUNCTIONS:
        app_label, codename = perm.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition).select_related("content_type")
