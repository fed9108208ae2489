from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from contracts.permissions import MANAGE_CONTRACTS
from core import menu


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Post-sales contracts")

    def ready(self):
        menu.add(
            menu.POST_SALES,
            menu.MenuItem(_("Contracts"), "contracts:contract_list", MANAGE_CONTRACTS),
            menu.MenuItem(_("Renewals"), "contracts:renewal_list", MANAGE_CONTRACTS),
        )
