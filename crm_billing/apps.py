from django.apps import AppConfig
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from contracts.permissions import MANAGE_CONTRACTS
from core import menu
from crm_billing.permissions import CONFIGURE_BILLING, MANAGE_USERS
from tickets.permissions import MANAGE_TICKETS
from tickets.pricing import set_default_hours_product


class CrmBillingConfig(AppConfig):
    name = "crm_billing"
    verbose_name = _("Post-sales billing")

    def ready(self):
        profile = self.get_model("BillingProfile")
        # The ticket list's estimated value of billable hours: the activity profile's product
        # for activities whose type names none (one subquery, no query of its own).
        set_default_hours_product(
            lambda: Subquery(
                profile.objects.filter(case=profile.Case.ACTIVITY).values("product_id")[:1]
            )
        )
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
