from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS
from core import menu


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Back Office")

    def ready(self):
        from backoffice import checks  # noqa: F401 - registers the system checks

        menu.add(
            menu.BACK_OFFICE,
            menu.MenuItem(_("Orders/Offers"), "backoffice:order_list", MANAGE_ORDERS),
            menu.MenuItem(
                _("Master data"), "backoffice:masterdata_list", MANAGE_MASTER_DATA, ("clienti",)
            ),
        )
