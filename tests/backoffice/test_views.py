import re
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice import services
from backoffice.models import Customer, Order, OrderLine
from backoffice.permissions import MANAGE_MASTER_DATA
from tests.factories import CustomerFactory, OrderTypeFactory, ProductFactory, VatRateFactory


@pytest.fixture
def bo_client(client, backoffice_user):
    client.force_login(backoffice_user)
    return client


def line_data(line, **changes):
    data = {
        "product": line.product_id,
        "description": line.description,
        "quantity": "2",
        "unit_price": "50,00",
        "discount_percent": "0",
        "vat_rate": line.vat_rate_id,
    }
    data.update(changes)
    return {f"line-{line.pk}-{key}": value for key, value in data.items()}


def test_changing_a_quantity_with_htmx_returns_the_new_totals(bo_client, order):
    line = order.lines.get(position=1)
    response = bo_client.post(
        reverse("backoffice:order_line_update", args=[order.pk, line.pk]),
        line_data(line, quantity="3,5"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    # The saved line's row, and the totals out of band: not the other lines, not the page.
    assert f'<tr id="line-{line.pk}" class="order-line">' in body and "<html" not in body
    assert 'id="order-totals" hx-swap-oob="true"' in body
    assert body.count('class="order-line"') == 1
    order.refresh_from_db()
    # 3,5 h × 50,00 + 35,00 = 210,00; VAT 22% = 46,20
    assert order.total == Decimal("256.20")
    assert "256,20" in body


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"unit_price": "-5"}, "unit_price"),
        ({"discount_percent": "100,01"}, "discount_percent"),
        ({"vat_rate": "999999"}, "vat_rate"),
    ],
)
def test_bad_line_input_is_refused_and_changes_nothing(bo_client, order, changes, error):
    line = order.lines.get(position=1)
    before = OrderLine.objects.get(pk=line.pk)
    response = bo_client.post(
        reverse("backoffice:order_line_update", args=[order.pk, line.pk]),
        line_data(line, **changes),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    # The line's form again, in place of its row, with the refused field marked.
    body = response.content.decode()
    assert "line-editing" in body and "<html" not in body
    field = re.search(rf'<(input|select)[^>]*id="id_line-{line.pk}-{error}"[^>]*>', body)
    assert "is-invalid" in field.group(0)
    assert OrderLine.objects.get(pk=line.pk).quantity == before.quantity
    assert Order.objects.get(pk=order.pk).total == order.total


def test_an_inactive_product_cannot_be_added(bo_client, order):
    inactive = ProductFactory(active=False)
    response = bo_client.post(
        reverse("backoffice:order_line_add", args=[order.pk]),
        {"new-product": inactive.pk, "new-quantity": "1"},
    )
    assert response.status_code == 422
    assert "product" in response.context["add_form"].errors
    assert order.lines.count() == 2


def test_a_new_line_takes_list_price_and_customer_discount_by_default(bo_client, backoffice_user):
    customer = CustomerFactory(discount_percent=Decimal("10"))
    order = services.create_order(
        order_type=OrderTypeFactory(), customer=customer, actor=backoffice_user
    )
    product = ProductFactory(list_price=Decimal("80.00"))
    response = bo_client.post(
        reverse("backoffice:order_line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": "2"},
    )
    assert response.status_code == 302
    line = order.lines.get()
    assert (line.unit_price, line.discount_percent, line.net_amount) == (
        Decimal("80.00"),
        Decimal("10.00"),
        Decimal("144.00"),
    )


def test_a_cancelled_order_is_read_only(bo_client, order, backoffice_user):
    services.cancel_order(order=order, actor=backoffice_user)
    line = order.lines.first()
    response = bo_client.post(
        reverse("backoffice:order_line_update", args=[order.pk, line.pk]),
        line_data(line, quantity="9"),
        follow=True,
    )
    assert "not a draft" in response.content.decode() or "bozza" in response.content.decode()
    assert OrderLine.objects.get(pk=line.pk).quantity == Decimal("2")


def test_cancel_asks_for_confirmation_then_cancels(bo_client, order):
    url = reverse("backoffice:order_cancel", args=[order.pk])
    assert bo_client.get(url).status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT
    bo_client.post(url, {"reason": "doppione"})
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_order_list_filters_keep_their_state_in_the_pagination(bo_client, backoffice_user):
    customer = CustomerFactory()
    order_type = OrderTypeFactory()
    for _ in range(30):
        services.create_order(order_type=order_type, customer=customer, actor=backoffice_user)
    services.create_order(order_type=order_type, customer=CustomerFactory(), actor=backoffice_user)
    response = bo_client.get(reverse("backoffice:order_list"), {"customer": customer.pk})
    page = response.context["page"]
    assert page.paginator.count == 30
    assert f"customer={customer.pk}&amp;page=2" in response.content.decode()


@pytest.mark.parametrize("orders", [3, 40])
def test_order_list_queries_do_not_grow_with_the_page(
    bo_client, backoffice_user, django_assert_max_num_queries, orders
):
    order_type = OrderTypeFactory()
    for _ in range(orders):
        services.create_order(
            order_type=order_type, customer=CustomerFactory(), actor=backoffice_user
        )
    with django_assert_max_num_queries(12):
        bo_client.get(reverse("backoffice:order_list"), {"status": "draft"})


def order_of(lines, actor):
    product = ProductFactory(vat_rate=VatRateFactory())
    return services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=actor,
        lines=[
            services.LineDraft(
                product=product,
                description=f"riga {n}",
                quantity=Decimal("1"),
                unit_price=Decimal("10"),
            )
            for n in range(lines)
        ],
    )


@pytest.mark.parametrize("lines", [5, 120])
def test_order_page_queries_do_not_grow_with_the_lines(
    bo_client, backoffice_user, django_assert_max_num_queries, lines
):
    order = order_of(lines, backoffice_user)
    with django_assert_max_num_queries(20):
        response = bo_client.get(order.get_absolute_url())
    assert response.status_code == 200


def test_a_long_order_shows_its_lines_a_page_at_a_time_with_totals_over_all(
    bo_client, backoffice_user
):
    order = order_of(120, backoffice_user)  # 120 × 10,00 €
    response = bo_client.get(order.get_absolute_url())
    body = response.content.decode()
    assert body.count('class="order-line"') == 50
    assert "riga 0<" in body and "riga 50<" not in body
    assert "1.200,00 €" in body  # the taxable total of all 120 lines, not of the 50 shown
    last = bo_client.get(order.get_absolute_url(), {"page": "3"}, headers={"HX-Request": "true"})
    assert last.content.decode().count('class="order-line"') == 20
    assert "riga 119<" in last.content.decode()


def test_the_header_form_is_fetched_when_asked_for_and_saves_as_before(bo_client, order):
    page = bo_client.get(order.get_absolute_url()).content.decode()
    assert 'name="deal_subject"' not in page  # its dropdowns are not read for every visit
    assert 'href="?header=edit#header-edit"' in page and 'hx-get="?header=edit"' in page
    fragment = bo_client.get(
        order.get_absolute_url(), {"header": "edit"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and 'id="header-edit"' in fragment
    assert 'name="deal_subject"' in fragment and 'name="payment_terms"' in fragment
    # Without JS, the order page with the form in place.
    full = bo_client.get(order.get_absolute_url(), {"header": "edit"}).content.decode()
    assert "<html" in full and 'name="deal_subject"' in full
    response = bo_client.post(
        reverse("backoffice:order_header_update", args=[order.pk]),
        {"date": "2026-03-02", "notes": "Consegna al piano terra"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.notes == "Consegna al piano terra" and str(order.date) == "2026-03-02"
    # A refused header comes back with its form and the error, not hidden behind the button.
    refused = bo_client.post(
        reverse("backoffice:order_header_update", args=[order.pk]), {"date": "2.3.2026"}
    )
    assert refused.status_code == 422
    assert 'name="deal_subject"' in refused.content.decode()
    assert "date" in refused.context["header_form"].errors


def test_the_header_form_of_an_order_sent_meanwhile_reloads_the_page_with_the_reason(
    bo_client, order
):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.SENT)
    stale = bo_client.get(
        order.get_absolute_url(), {"header": "edit"}, headers={"HX-Request": "true"}
    )
    assert stale.status_code == 200 and stale["HX-Refresh"] == "true"
    page = bo_client.get(order.get_absolute_url(), {"header": "edit"}, follow=True)
    text = page.content.decode()
    assert 'name="deal_subject"' not in text
    assert "L&#x27;ordine non può più essere modificato: non è in bozza." in text


def test_edit_swaps_one_row_for_its_form_and_cancel_puts_the_row_back(bo_client, order):
    line = order.lines.get(position=1)
    edit = reverse("backoffice:order_line_edit", args=[order.pk, line.pk])
    page = bo_client.get(order.get_absolute_url()).content.decode()
    assert f'href="{edit}"' in page and f'hx-get="{edit}"' in page  # a link without JS too
    form = bo_client.get(edit, headers={"HX-Request": "true"})
    body = form.content.decode()
    assert "<html" not in body and "line-editing" in body
    assert f'form="line-{line.pk}-form"' in body  # inputs in the cells belong to the row's form
    assert f'name="line-{line.pk}-quantity"' in body
    row = bo_client.get(
        reverse("backoffice:order_line_row", args=[order.pk, line.pk]),
        headers={"HX-Request": "true"},
    )
    assert f'<tr id="line-{line.pk}" class="order-line">' in row.content.decode()
    # Without JS, the same form on a page of its own, which posts and comes back to the order.
    assert "<html" in bo_client.get(edit).content.decode()
    response = bo_client.post(
        reverse("backoffice:order_line_update", args=[order.pk, line.pk]),
        line_data(line, quantity="4"),
    )
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert OrderLine.objects.get(pk=line.pk).quantity == Decimal("4")


def test_a_line_of_another_order_cannot_be_edited_through_this_one(
    bo_client, order, backoffice_user
):
    other = order_of(1, backoffice_user).lines.get()
    edit = reverse("backoffice:order_line_edit", args=[order.pk, other.pk])
    assert bo_client.get(edit).status_code == 404


def test_the_line_form_of_a_cancelled_order_is_not_offered(bo_client, order, backoffice_user):
    services.cancel_order(order=order, actor=backoffice_user)
    line = order.lines.first()
    response = bo_client.get(
        reverse("backoffice:order_line_edit", args=[order.pk, line.pk]), follow=True
    )
    assert "line-editing" not in response.content.decode()


def test_htmx_asking_the_line_form_of_a_cancelled_order_gets_the_row_back(
    bo_client, order, backoffice_user
):
    # A stale tab: the row stays a row (not the whole page swapped into it) and says why.
    services.cancel_order(order=order, actor=backoffice_user)
    line = order.lines.first()
    response = bo_client.get(
        reverse("backoffice:order_line_edit", args=[order.pk, line.pk]),
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "line-editing" not in body
    assert f'id="line-{line.pk}"' in body


def test_master_data_refuses_a_malformed_partita_iva(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    response = client.post(
        reverse("backoffice:masterdata_create", args=["clienti"]),
        {"code": "X1", "name": "Prova", "vat_number": "01234567890", "discount_percent": "0"},
    )
    assert response.status_code == 200
    assert "vat_number" in response.context["form"].errors
    assert not Customer.objects.filter(code="X1").exists()


def test_master_data_refuses_a_discount_over_100(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    response = client.post(
        reverse("backoffice:masterdata_create", args=["clienti"]),
        {"code": "X2", "name": "Prova", "discount_percent": "150"},
    )
    assert "discount_percent" in response.context["form"].errors


def test_the_defaults_banner_shows_until_someone_edits_the_order(bo_client, order):
    Order.objects.filter(pk=order.pk).update(from_defaults=True)
    assert (
        "Generato con le impostazioni di default"
        in bo_client.get(order.get_absolute_url()).content.decode()
    )
    line = order.lines.get(position=1)
    bo_client.post(
        reverse("backoffice:order_line_update", args=[order.pk, line.pk]),
        line_data(line, quantity="4"),
    )
    assert (
        "Generato con le impostazioni di default"
        not in bo_client.get(order.get_absolute_url()).content.decode()
    )


def test_a_manual_order_is_created_with_the_customer_defaults(bo_client, backoffice_user):
    customer = CustomerFactory(discount_percent=Decimal("3"))
    response = bo_client.post(
        reverse("backoffice:order_create"),
        {"order_type": OrderTypeFactory().pk, "customer": customer.pk, "date": "2026-11-02"},
    )
    order = Order.objects.get(customer=customer)
    assert response["Location"] == order.get_absolute_url()
    assert (order.owner, order.discount_percent, order.origin) == (
        backoffice_user,
        Decimal("3.00"),
        Order.Origin.MANUAL,
    )
    assert order.events.get().kind == "created"


def test_a_vat_rate_on_order_lines_keeps_its_rate(client, make_user, order):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    vat = order.lines.first().vat_rate
    response = client.post(
        reverse("backoffice:masterdata_update", args=["aliquote-iva", vat.pk]),
        {"code": vat.code, "description": "IVA ordinaria", "rate": "10", "active": "on"},
    )
    assert response.status_code == 302
    vat.refresh_from_db()
    assert (vat.description, vat.rate) == ("IVA ordinaria", Decimal("22.00"))
    order.refresh_from_db()
    assert order.vat_summary().total_vat == order.total_vat  # old orders keep their VAT
