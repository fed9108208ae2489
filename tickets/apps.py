from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from backoffice.master_data_registry import MasterData, register
from core import menu
from tickets.permissions import MANAGE_TICKETS


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        menu.add(
            menu.POST_SALES, menu.MenuItem(_("Tickets"), "tickets:ticket_list", MANAGE_TICKETS)
        )
        # Gestione anagrafiche: the tables the activities of tickets choose from.
        register(
            MasterData(
                "tipi-attivita",
                "tickets.ActivityType",
                "tickets.forms.ActivityTypeForm",
                ["name", "product", "on_site", "active"],
                ["name", "product__code", "product__description"],
            ),
            MasterData(
                "stati-attivita",
                "tickets.ActivityStatus",
                "tickets.forms.ActivityStatusForm",
                ["name", "kind", "active"],
                ["name"],
            ),
            MasterData(
                "condizioni-attivita",
                "tickets.ActivityCondition",
                "tickets.forms.ActivityConditionForm",
                ["name", "to_be_billed", "active"],
                ["name"],
            ),
        )
