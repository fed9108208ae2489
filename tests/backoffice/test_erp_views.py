""" "Invia al gestionale" on the order page, "Reinvia", the transmission log and the ERP filter
of the order list."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.erp import services as erp
from backoffice.models import Order, Transmission
from backoffice.permissions import MANAGE_ORDERS
from tests.backoffice.test_erp_services import _fail, _order_with_a_line

State = Transmission.State


@pytest.fixture
def bo_client(client, backoffice_user):
    client.force_login(backoffice_user)
    return client


def send_url(order):
    return reverse("backoffice:order_send", args=[order.pk])


def error_messages(response):
    return [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def test_sending_from_the_order_page_delivers_and_shows_the_reference(
    bo_client, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = bo_client.post(send_url(order), {"revision": order.revision})
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == Order.Status.SENT
    page = bo_client.get(order.get_absolute_url()).content.decode()
    assert f'id="erp-reference">{order.erp_reference}<' in page
    assert 'data-outcome="delivered"' in page
    assert 'id="send-to-erp"' not in page  # nothing left to send
    assert 'hx-trigger="every 3s"' not in page  # no polling once it is over


@pytest.mark.django_db(transaction=True)
def test_a_send_the_erp_rejects_at_once_says_so(bo_client, order, stand_in):
    # Committed for real: the inline backend makes the attempt before the view answers.
    stand_in.control(fail_next=1, status=400)
    response = bo_client.post(send_url(order), {"revision": order.revision})
    (message,) = error_messages(response)
    assert "Simulated failure (HTTP 400)" in str(message)
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT


def test_problems_are_listed_in_one_error_and_nothing_is_queued(bo_client, backoffice_user):
    order = _order_with_a_line(backoffice_user, vat_number="", tax_code="")
    Order.objects.filter(pk=order.pk).update(total=Decimal("1.00"))
    response = bo_client.post(send_url(order), {"revision": 1})
    assert response.status_code == 302
    (message,) = error_messages(response)
    assert str(message).count("<li>") == 2
    assert not Transmission.objects.exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT


def test_a_post_without_the_revision_queues_nothing(bo_client, order):
    response = bo_client.post(send_url(order), {})
    assert response.status_code == 302
    assert len(error_messages(response)) == 1
    assert not Transmission.objects.exists()


def test_a_stale_page_cannot_send_a_newer_revision(bo_client, order):
    Order.objects.filter(pk=order.pk).update(revision=3)
    bo_client.post(send_url(order), {"revision": 2})
    assert not Transmission.objects.exists()


def test_without_the_function_the_send_urls_answer_403(client, make_user, order, backoffice_user):
    failed = _fail(erp.send_order(order=order, actor=backoffice_user))
    client.force_login(make_user(MANAGE_ORDERS))
    assert client.post(send_url(order), {"revision": 2}).status_code == 403
    resend = reverse("backoffice:transmission_resend", args=[order.pk, failed.pk])
    assert client.post(resend).status_code == 403
    assert Transmission.objects.count() == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT


def test_without_the_function_the_button_is_disabled_with_a_tooltip(client, make_user, order):
    client.force_login(make_user(MANAGE_ORDERS))
    page = client.get(order.get_absolute_url()).content.decode()
    button = page[page.index('id="send-to-erp"') - 300 : page.index('id="send-to-erp"') + 80]
    assert 'data-bs-toggle="tooltip"' in button
    assert "disabled" in button
    assert send_url(order) not in page


def test_the_send_urls_take_posts_only(bo_client, order):
    assert bo_client.get(send_url(order)).status_code == 405


def test_a_failed_send_shows_its_error_and_reinvia_sends_a_new_revision(
    bo_client, order, backoffice_user
):
    failed = _fail(erp.send_order(order=order, actor=backoffice_user), message="HTTP 400: no way")
    page = bo_client.get(order.get_absolute_url()).content.decode()
    resend = reverse("backoffice:transmission_resend", args=[order.pk, failed.pk])
    assert f'action="{resend}"' in page
    assert "HTTP 400: no way" in page
    assert 'data-outcome="rejected"' in page
    response = bo_client.post(resend)
    assert response.status_code == 302
    latest = order.transmissions.order_by("-revision").first()
    assert (latest.revision, latest.state) == (2, State.QUEUED)
    assert latest.idempotency_key != failed.idempotency_key


def test_reinvia_of_a_transmission_of_another_order_is_not_found(bo_client, order, backoffice_user):
    other = _order_with_a_line(backoffice_user)
    failed = _fail(erp.send_order(order=other, actor=backoffice_user))
    response = bo_client.post(reverse("backoffice:transmission_resend", args=[order.pk, failed.pk]))
    assert response.status_code == 404


def test_while_sending_the_page_polls_the_log_and_reloads_when_done(
    bo_client, order, backoffice_user
):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    page = bo_client.get(order.get_absolute_url()).content.decode()
    poll = reverse("backoffice:order_transmissions", args=[order.pk])
    assert f'hx-post="{poll}"' in page
    partial = bo_client.get(poll, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert f'id="transmission-{transmission.pk}"' in partial.content.decode()
    assert "HX-Refresh" not in partial

    erp.deliver_transmission(transmission_id=transmission.pk)
    partial = bo_client.post(poll, headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"
    # Without htmx the address leads to the order page.
    assert bo_client.get(poll)["Location"] == order.get_absolute_url()


def test_the_order_list_filters_by_erp_state(bo_client, backoffice_user):
    never = _order_with_a_line(backoffice_user)
    queued = _order_with_a_line(backoffice_user)
    erp.send_order(order=queued, actor=backoffice_user)
    delivered = _order_with_a_line(backoffice_user)
    erp.deliver_transmission(
        transmission_id=erp.send_order(order=delivered, actor=backoffice_user).pk
    )
    failed = _order_with_a_line(backoffice_user)
    _fail(erp.send_order(order=failed, actor=backoffice_user))

    def listed(state):
        response = bo_client.get(reverse("backoffice:order_list"), {"erp_state": state})
        return {row.record.pk for row in response.context["page"]}

    assert listed("not_sent") == {never.pk}
    assert listed("in_progress") == {queued.pk}
    assert listed("delivered") == {delivered.pk}
    assert listed("failed") == {failed.pk}
    assert listed("") == {never.pk, queued.pk, delivered.pk, failed.pk}


def test_a_failed_order_sent_again_is_filed_under_its_latest_send(bo_client, backoffice_user):
    order = _order_with_a_line(backoffice_user)
    failed = _fail(erp.send_order(order=order, actor=backoffice_user))
    erp.resend_transmission(transmission=failed, actor=backoffice_user)
    response = bo_client.get(reverse("backoffice:order_list"), {"erp_state": "in_progress"})
    assert [row.record.pk for row in response.context["page"]] == [order.pk]


@pytest.mark.parametrize("orders", [3, 30])
def test_the_order_list_with_erp_states_does_not_grow_in_queries(
    bo_client, backoffice_user, django_assert_max_num_queries, orders
):
    for _ in range(orders):
        order = _order_with_a_line(backoffice_user)
        erp.send_order(order=order, actor=backoffice_user)
    with django_assert_max_num_queries(12):
        response = bo_client.get(reverse("backoffice:order_list"), {"erp_state": "in_progress"})
    assert response.context["page"].paginator.count == orders


def test_the_order_page_queries_do_not_grow_with_the_attempts(
    bo_client, order, backoffice_user, django_assert_max_num_queries, stand_in
):
    from tests.backoffice.test_erp_delivery import deliver_until_final

    stand_in.control(fail_next=3, status=500)
    deliver_until_final(erp.send_order(order=order, actor=backoffice_user))
    with django_assert_max_num_queries(25):
        response = bo_client.get(order.get_absolute_url())
    assert response.content.decode().count('class="transmission-attempt"') == 4
