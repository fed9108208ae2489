"""Gestione anagrafiche: price lists and their prices, the customer's price list, the kinds other
apps register (the tables of the tickets' activities), and deleting a price after confirming."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.text import capfirst

from backoffice import services
from backoffice.master_data_registry import MASTER_DATA, MasterData, register
from backoffice.models import Customer, PriceList, PriceListItem
from backoffice.permissions import MANAGE_MASTER_DATA
from tests.factories import (
    ActivityConditionFactory,
    ActivityStatusFactory,
    ActivityTypeFactory,
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
)
from tests.pages import form_as_rendered
from tickets.models import ActivityCondition, ActivityStatus, ActivityType


@pytest.fixture
def clerk(make_user):
    return make_user(MANAGE_MASTER_DATA, username="anagrafiche", first_name="Anna", last_name="Blu")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def list_url(kind):
    return reverse("backoffice:masterdata_list", args=[kind])


def create_url(kind):
    return reverse("backoffice:masterdata_create", args=[kind])


def update_url(kind, record):
    return reverse("backoffice:masterdata_update", args=[kind, record.pk])


def delete_url(kind, record):
    return reverse("backoffice:masterdata_delete", args=[kind, record.pk])


def submit(client, url, **values):
    """The page's form as rendered, with what the user types."""
    data = form_as_rendered(client.get(url))
    data.update({name: [value] for name, value in values.items()})
    return client.post(url, data)


def listed(response):
    return [row.record for row in response.context["page"]]


# --- Registry -----------------------------------------------------------------------------------


def test_every_kind_is_in_the_tabs_backoffice_first(clerk_client):
    slugs = list(MASTER_DATA)
    assert slugs[:4] == ["clienti", "prodotti", "listini", "prezzi-listino"]
    assert {"tipi-attivita", "stati-attivita", "condizioni-attivita"} <= set(slugs)
    assert slugs.index("agenti") < slugs.index("tipi-attivita")
    page = clerk_client.get(list_url("clienti")).content.decode()
    for slug in slugs:
        assert f'href="{list_url(slug)}"' in page, slug


def test_registering_again_is_harmless_and_a_taken_slug_is_refused():
    before = dict(MASTER_DATA)
    register(
        MasterData("listini", "backoffice.PriceList", "backoffice.forms.PriceListForm", [], [])
    )
    assert before == MASTER_DATA
    with pytest.raises(ValueError, match="already taken"):
        register(
            MasterData("listini", "backoffice.Customer", "backoffice.forms.CustomerForm", [], [])
        )
    assert before == MASTER_DATA


def test_an_unknown_kind_is_not_found(clerk_client):
    assert clerk_client.get(list_url("sconosciuto")).status_code == 404


def test_master_data_needs_its_function(client, make_user):
    client.force_login(make_user())
    assert client.get(list_url("tipi-attivita")).status_code == 403
    price = PriceListItemFactory()
    assert client.post(delete_url("prezzi-listino", price)).status_code == 403
    assert PriceListItem.objects.filter(pk=price.pk).exists()


# --- Listini ------------------------------------------------------------------------------------


def test_a_price_list_is_created_and_edited(clerk_client, clerk):
    response = submit(clerk_client, create_url("listini"), code="RIV", name="Rivenditori")
    assert response.status_code == 302
    price_list = PriceList.objects.get(code="RIV")
    assert (price_list.name, price_list.active) == ("Rivenditori", True)
    assert price_list.history.get().history_user == clerk

    response = submit(clerk_client, update_url("listini", price_list), name="Rivenditori 2026")
    assert response.status_code == 302
    price_list.refresh_from_db()
    assert price_list.name == "Rivenditori 2026"
    assert listed(clerk_client.get(list_url("listini"))) == [price_list]


def test_a_duplicate_price_list_code_is_refused(clerk_client):
    PriceListFactory(code="RIV")
    response = submit(clerk_client, create_url("listini"), code="RIV", name="Altro")
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert PriceList.objects.count() == 1


# --- Prezzi di listino --------------------------------------------------------------------------


def test_a_price_is_created_from_the_form_as_rendered(clerk_client, clerk):
    price_list = PriceListFactory(pk=31_005, name="Grandi clienti")
    product = ProductFactory(pk=24_017, code="ASS-H", description="Assistenza oraria")
    response = submit(
        clerk_client,
        create_url("prezzi-listino"),
        price_list=str(price_list.pk),
        product=str(product.pk),
        unit_price="1.150,75",
    )
    assert response.status_code == 302
    price = PriceListItem.objects.get()
    assert (price.price_list, price.product, price.unit_price) == (
        price_list,
        product,
        Decimal("1150.75"),
    )
    assert price.history.get().history_user == clerk
    # And edited back as its page renders it.
    response = submit(clerk_client, update_url("prezzi-listino", price), unit_price="1.200,00")
    assert response.status_code == 302
    price.refresh_from_db()
    assert price.unit_price == Decimal("1200.00")


def test_the_price_list_shows_list_product_and_price_without_an_active_column(clerk_client):
    price = PriceListItemFactory(
        price_list__name="Grandi clienti",
        product__code="ASS-H",
        product__description="Assistenza oraria",
        unit_price=Decimal("1150.00"),
    )
    response = clerk_client.get(list_url("prezzi-listino"))
    assert response.status_code == 200
    fields = [
        PriceListItem._meta.get_field(name) for name in ("price_list", "product", "unit_price")
    ]
    headers = [str(column.header) for column in response.context["table"].columns]
    assert headers == [capfirst(field.verbose_name) for field in fields] + [""]
    page = response.content.decode()
    assert "Grandi clienti" in page and "ASS-H - Assistenza oraria" in page
    assert "1.150,00" in page
    assert f'href="{delete_url("prezzi-listino", price)}"' in page


@pytest.mark.parametrize("search", ["grandi", "GC-1", "ass-h", "oraria"])
def test_prices_are_searched_by_list_name_or_code_and_product_code_or_description(
    clerk_client, search
):
    found = PriceListItemFactory(
        price_list__name="Grandi clienti",
        price_list__code="GC-1",
        product__code="ASS-H",
        product__description="Assistenza oraria",
    )
    PriceListItemFactory(
        price_list__name="Rivenditori",
        price_list__code="RV",
        product__code="MAT",
        product__description="Materiale",
    )
    response = clerk_client.get(list_url("prezzi-listino"), {"q": search})
    assert listed(response) == [found]


def test_a_second_price_for_a_product_in_a_list_is_refused_clearly(clerk_client):
    price = PriceListItemFactory(unit_price=Decimal("1100.00"))
    response = submit(
        clerk_client,
        create_url("prezzi-listino"),
        price_list=str(price.price_list_id),
        product=str(price.product_id),
        unit_price="1.300,00",
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["product"]
    assert price.price_list.name in error
    assert not response.context["form"].non_field_errors()
    assert PriceListItem.objects.get().unit_price == Decimal("1100.00")
    # The same product in another list is another price.
    other = PriceListFactory()
    response = submit(
        clerk_client,
        create_url("prezzi-listino"),
        price_list=str(other.pk),
        product=str(price.product_id),
        unit_price="1.300,00",
    )
    assert response.status_code == 302
    assert PriceListItem.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit_price", "-1"), ("unit_price", "abc"), ("unit_price", ""), ("product", "")],
)
def test_bad_prices_are_refused(clerk_client, field, value):
    price_list, product = PriceListFactory(), ProductFactory()
    data = {"price_list": price_list.pk, "product": product.pk, "unit_price": "1.000,00"}
    data[field] = value
    response = clerk_client.post(create_url("prezzi-listino"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not PriceListItem.objects.exists()


def test_inactive_lists_and_products_are_not_offered_for_a_new_price(clerk_client):
    PriceListFactory(active=False)
    inactive_product = ProductFactory(active=False)
    form = clerk_client.get(create_url("prezzi-listino")).context["form"]
    assert not form.fields["price_list"].queryset.filter(active=False).exists()
    assert inactive_product not in form.fields["product"].queryset


def test_a_price_is_deleted_after_a_confirmation_page(clerk_client, clerk):
    price = PriceListItemFactory(unit_price=Decimal("1150.00"))
    kept = PriceListItemFactory(price_list=price.price_list)
    edit_page = clerk_client.get(update_url("prezzi-listino", price)).content.decode()
    assert f'href="{delete_url("prezzi-listino", price)}"' in edit_page

    confirmation = clerk_client.get(delete_url("prezzi-listino", price))
    assert confirmation.status_code == 200
    assert str(price) in confirmation.content.decode()
    assert PriceListItem.objects.filter(pk=price.pk).exists()

    response = clerk_client.post(
        delete_url("prezzi-listino", price), form_as_rendered(confirmation)
    )
    assert response["Location"] == list_url("prezzi-listino")
    assert list(PriceListItem.objects.all()) == [kept]
    deleted = PriceListItem.history.filter(id=price.pk, history_type="-").get()
    assert deleted.history_user == clerk


def test_only_prices_can_be_deleted(clerk_client):
    customer = CustomerFactory()
    assert clerk_client.get(delete_url("clienti", customer)).status_code == 404
    assert clerk_client.post(delete_url("clienti", customer)).status_code == 404
    assert "elimina/" not in clerk_client.get(update_url("clienti", customer)).content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_price_deleted_meanwhile_is_not_found(clerk_client):
    price = PriceListItemFactory()
    url = delete_url("prezzi-listino", price)
    PriceListItem.objects.filter(pk=price.pk).delete()
    assert clerk_client.post(url).status_code == 404


def test_the_delete_service_checks_the_function(db):
    price = PriceListItemFactory()
    with pytest.raises(PermissionDenied):
        services.delete_master_data(record=price, actor=UserFactory(username="nessuno"))
    assert PriceListItem.objects.filter(pk=price.pk).exists()


# --- The customer's price list ------------------------------------------------------------------


def test_a_customer_is_given_a_price_list(clerk_client):
    customer = CustomerFactory()
    price_list = PriceListFactory(name="Grandi clienti")
    switched_off = PriceListFactory(active=False)
    form = clerk_client.get(update_url("clienti", customer)).context["form"]
    offered = list(form.fields["price_list"].queryset)
    assert price_list in offered and switched_off not in offered

    response = submit(clerk_client, update_url("clienti", customer), price_list=str(price_list.pk))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.price_list == price_list
    assert "Grandi clienti" in clerk_client.get(list_url("clienti")).content.decode()


def test_a_customer_keeps_a_price_list_switched_off_since(clerk_client):
    price_list = PriceListFactory()
    customer = CustomerFactory(price_list=price_list)
    PriceList.objects.filter(pk=price_list.pk).update(active=False)
    response = submit(clerk_client, update_url("clienti", customer), name="Rinominato S.r.l.")
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.price_list) == ("Rinominato S.r.l.", price_list)


# --- The tickets' kinds -------------------------------------------------------------------------


def test_an_activity_type_is_created_with_an_active_product(clerk_client, clerk):
    product = ProductFactory(code="INT-SEDE")
    inactive = ProductFactory(active=False)
    page = clerk_client.get(create_url("tipi-attivita"))
    assert page.status_code == 200
    assert inactive not in page.context["form"].fields["product"].queryset

    response = submit(
        clerk_client,
        create_url("tipi-attivita"),
        name="Intervento presso il cliente",
        product=str(product.pk),
        on_site="on",
    )
    assert response.status_code == 302
    activity_type = ActivityType.objects.get()
    assert (activity_type.name, activity_type.product, activity_type.on_site) == (
        "Intervento presso il cliente",
        product,
        True,
    )
    assert activity_type.history.get().history_user == clerk
    page = clerk_client.get(list_url("tipi-attivita")).content.decode()
    assert "Intervento presso il cliente" in page and "INT-SEDE" in page


def test_an_activity_type_refuses_an_inactive_product_and_a_duplicate_name(clerk_client):
    ActivityTypeFactory(name="Telefonica")
    inactive = ProductFactory(active=False)
    response = clerk_client.post(
        create_url("tipi-attivita"), {"name": "Telefonica", "product": inactive.pk}
    )
    assert response.status_code == 200
    assert {"name", "product"} <= set(response.context["form"].errors)
    assert ActivityType.objects.count() == 1


def test_an_activity_type_without_product_uses_the_configuration(clerk_client):
    activity_type = ActivityTypeFactory(name="Da remoto", product=ProductFactory())
    response = submit(clerk_client, update_url("tipi-attivita", activity_type), product="")
    assert response.status_code == 302
    activity_type.refresh_from_db()
    assert activity_type.product is None


def test_an_activity_status_is_created_and_switched_off(clerk_client):
    response = submit(
        clerk_client, create_url("stati-attivita"), name="In attesa ricambi", kind="in_progress"
    )
    assert response.status_code == 302
    status = ActivityStatus.objects.get(name="In attesa ricambi")
    assert (status.kind, status.active) == (ActivityStatus.Kind.IN_PROGRESS, True)

    data = form_as_rendered(clerk_client.get(update_url("stati-attivita", status)))
    del data["active"]  # unticked
    assert clerk_client.post(update_url("stati-attivita", status), data).status_code == 302
    status.refresh_from_db()
    assert not status.active


def test_an_activity_status_needs_a_known_kind(clerk_client):
    response = clerk_client.post(
        create_url("stati-attivita"), {"name": "Strano", "kind": "boh", "active": "on"}
    )
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert not ActivityStatus.objects.filter(name="Strano").exists()


def test_an_activity_condition_is_created_and_edited(clerk_client):
    response = submit(
        clerk_client, create_url("condizioni-attivita"), name="Fuori contratto", to_be_billed="on"
    )
    assert response.status_code == 302
    condition = ActivityCondition.objects.get(name="Fuori contratto")
    assert condition.to_be_billed

    data = form_as_rendered(clerk_client.get(update_url("condizioni-attivita", condition)))
    del data["to_be_billed"]
    assert clerk_client.post(update_url("condizioni-attivita", condition), data).status_code == 302
    condition.refresh_from_db()
    assert not condition.to_be_billed


@pytest.mark.parametrize("kind", ["tipi-attivita", "stati-attivita", "condizioni-attivita"])
def test_the_tickets_kinds_list_and_search(clerk_client, kind):
    record = {
        "tipi-attivita": lambda: ActivityTypeFactory(name="Collaudo impianto"),
        "stati-attivita": lambda: ActivityStatusFactory(name="Collaudo impianto"),
        "condizioni-attivita": lambda: ActivityConditionFactory(name="Collaudo impianto"),
    }[kind]()
    response = clerk_client.get(list_url(kind), {"q": "collaudo"})
    assert response.status_code == 200
    assert listed(response) == [record]
    assert clerk_client.get(update_url(kind, record)).status_code == 200
    assert clerk_client.get(delete_url(kind, record)).status_code == 404
