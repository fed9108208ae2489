"""The menu: each section lists only what the user may use (the server checks again)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.functions import CONFIGURE_BILLING, MANAGE_USERS
from tickets.permissions import MANAGE_TICKETS


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    perm: str | None
    args: tuple = ()

    @property
    def url(self):
        return reverse(self.url_name, args=self.args)


MENU = [
    (
        _("Post-sales"),
        [
            MenuItem(_("Contracts"), "contracts:contract_list", MANAGE_CONTRACTS),
            MenuItem(_("Tickets"), "tickets:ticket_list", MANAGE_TICKETS),
        ],
    ),
    (
        _("Back Office"),
        [
            MenuItem(_("Orders/Offers"), "backoffice:order_list", MANAGE_ORDERS),
            MenuItem(
                _("Master data"), "backoffice:masterdata_list", MANAGE_MASTER_DATA, ("clienti",)
            ),
        ],
    ),
    (
        _("Administration"),
        [
            MenuItem(_("Billing configuration"), "billing_configuration", CONFIGURE_BILLING),
            MenuItem(_("User management"), "user_list", MANAGE_USERS),
        ],
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menu = []
    for title, items in MENU:
        allowed = [item for item in items if item.perm is None or user.has_perm(item.perm)]
        if allowed:
            menu.append((title, allowed))
    return {"menu": menu}
