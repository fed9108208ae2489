from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from contracts.permissions import MANAGE_CONTRACTS
from core import menu
from crm_billing.permissions import CONFIGURE_BILLING, MANAGE_USERS
from tickets.permissions import MANAGE_TICKETS


class CrmBillingConfig(AppConfig):
    name = "crm_billing"
    verbose_name = _("Post-sales billing")

    def ready(self):
        menu.add(
            menu.POST_SALES,
            menu.MenuItem(_("Renewals due"), "billing:renewals_due", MANAGE_CONTRACTS),
            menu.MenuItem(_("To be billed"), "billing:billing_dashboard", MANAGE_TICKETS),
        )
        menu.add(
            menu.ADMINISTRATION,
            menu.MenuItem(
                _("Billing configuration"),
                "administration:billing_configuration",
                CONFIGURE_BILLING,
            ),
            menu.MenuItem(
                _("ISTAT FOI indices"), "administration:price_indices", CONFIGURE_BILLING
            ),
            menu.MenuItem(_("User management"), "administration:user_list", MANAGE_USERS),
        )
