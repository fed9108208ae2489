from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from backoffice.master_data_registry import MasterData, register
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
            menu.MenuItem(
                _("Import from the ERP"), "backoffice:masterdata_import", MANAGE_MASTER_DATA
            ),
        )
        # Gestione anagrafiche: the Back Office's own kinds, first in the tabs.
        register(
            MasterData(
                "clienti",
                "backoffice.Customer",
                "backoffice.forms.CustomerForm",
                ["code", "name", "vat_number", "city", "payment_terms", "price_list", "active"],
                ["code", "name", "vat_number", "tax_code"],
            ),
            MasterData(
                "prodotti",
                "backoffice.Product",
                "backoffice.forms.ProductForm",
                ["code", "description", "unit", "list_price", "vat_rate", "active"],
                ["code", "description"],
            ),
            MasterData(
                "listini",
                "backoffice.PriceList",
                "backoffice.forms.PriceListForm",
                ["code", "name", "active"],
                ["code", "name"],
            ),
            MasterData(
                "prezzi-listino",
                "backoffice.PriceListItem",
                "backoffice.forms.PriceListItemForm",
                ["price_list", "product", "unit_price"],
                ["price_list__name", "price_list__code", "product__code", "product__description"],
                deletable=True,
            ),
            MasterData(
                "tipi-ordine",
                "backoffice.OrderType",
                "backoffice.forms.OrderTypeForm",
                ["code", "name", "kind", "numbering_pattern", "active"],
                ["code", "name"],
            ),
            MasterData(
                "oggetti-trattativa",
                "backoffice.DealSubject",
                "backoffice.forms.DealSubjectForm",
                ["name", "active"],
                ["name"],
            ),
            MasterData(
                "pagamenti",
                "backoffice.PaymentTerms",
                "backoffice.forms.PaymentTermsForm",
                ["code", "name", "active"],
                ["code", "name"],
            ),
            MasterData(
                "aliquote-iva",
                "backoffice.VatRate",
                "backoffice.forms.VatRateForm",
                ["code", "description", "rate", "nature", "active"],
                ["code", "description"],
            ),
            MasterData(
                "agenti",
                "backoffice.Agent",
                "backoffice.forms.AgentForm",
                ["code", "name", "active"],
                ["code", "name"],
            ),
        )
