"""What the user reads is Italian, and right: plurals, the gender of an offer, amounts with a
decimal comma in the history, one term per concept, a help that says what happens."""

from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from backoffice import services as order_services
from backoffice.models import OrderEvent, OrderType
from contracts.forms import ContractForm
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile
from crm_billing.permissions import CONFIGURE_BILLING
from tests.factories import ContractFactory, CustomerFactory, OrderTypeFactory, ProductFactory
from tests.pages import form_as_rendered


def test_one_change_is_one_modifica(client, make_user, configured):
    client.force_login(make_user(CONFIGURE_BILLING))
    data = form_as_rendered(client.get(reverse("administration:billing_configuration")))
    data[f"{BillingProfile.Case.ACTIVITY}-product"] = [ProductFactory().pk]
    response = client.post(reverse("administration:billing_configuration"), data, follow=True)
    assert "(1 modifica)" in response.content.decode()


def test_an_offer_is_generata_an_order_generato(client, make_user, configured):
    profile = configured[BillingProfile.Case.NEW_CONTRACT]
    profile.order_type = OrderTypeFactory(name="Offerta", kind=OrderType.Kind.OFFER)
    profile.save()
    client.force_login(make_user(MANAGE_CONTRACTS))
    contract = ContractFactory()
    response = client.post(reverse("billing:contract_new_order", args=[contract.pk]), follow=True)
    assert "generata con le impostazioni di default" in response.content.decode()


def test_the_history_of_a_line_shows_amounts_with_a_decimal_comma(backoffice_user):
    product = ProductFactory(list_price=Decimal("1234.50"))
    order = order_services.create_order(
        order_type=OrderTypeFactory(), customer=CustomerFactory(), actor=backoffice_user
    )
    draft = order_services.line_for_product(order=order, product=product, quantity=Decimal("2.5"))
    line = order_services.add_line(order=order, draft=draft, actor=backoffice_user)
    order_services.update_line(line=line, changes={"quantity": Decimal("3")}, actor=backoffice_user)
    added, changed = (
        OrderEvent.objects.filter(order=order, kind=kind).get().message
        for kind in (OrderEvent.Kind.LINE_ADDED, OrderEvent.Kind.LINE_CHANGED)
    )
    assert "2,5 × 1.234,50 €" in added
    assert changed.startswith("Riga 1:") and "2,50 → 3" in changed


def test_the_customer_cost_help_says_which_product_is_billed(db):
    help_text = str(ContractForm().fields["customer_cost"].help_text)
    assert "configurazione fatturazione" in help_text
    assert "nuovi contratti" in help_text


def test_english_names_the_internal_protocol_one_way(client, make_user):
    with translation.override("en"):
        contract = ContractFactory()
        order = order_services.create_order(
            order_type=OrderTypeFactory(), customer=contract.customer, actor=make_user()
        )
        label = ContractForm(instance=contract).fields["order"].label_from_instance(order)
    assert "internal protocol" in label and "Prot. Int." not in label
