"""Login throttling by address, the client's address behind trusted proxies, and no caching of
authenticated pages."""

from django.test import override_settings
from django.urls import reverse

from tests.factories import UserFactory
from tickets.permissions import MANAGE_TICKETS

PASSWORD = "pw-test-123"  # UserFactory's


def fail_logins(client, names, **headers):
    for name in names:
        client.post(reverse("login"), {"username": name, "password": "sbagliata"}, **headers)


def log_in(client, username, **headers):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, **headers)


def test_five_user_names_tried_from_one_address_lock_the_address(client, db):
    UserFactory(username="vera")
    fail_logins(client, [f"tentativo{n}" for n in range(5)])
    response = log_in(client, "vera")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_starts_the_address_count_again(client, db):
    UserFactory(username="vera")
    UserFactory(username="collega")
    fail_logins(client, ["vera", "vera", "collega", "collega"])
    assert log_in(client, "vera").status_code == 302
    client.logout()
    fail_logins(client, ["collega"] * 4)
    assert log_in(client, "collega").status_code == 302


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(client, db):
    UserFactory(username="vera")
    for n in range(5):
        fail_logins(client, ["vera"], HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # Writing another X-Forwarded-For does not escape the lock: the header is not trusted.
    assert log_in(client, "vera", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_each_client_is_throttled_by_its_own_address(client, db):
    UserFactory(username="vera")
    # Every request comes from the proxy (127.0.0.1); the clients differ in X-Forwarded-For.
    fail_logins(client, ["vera"] * 5, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert log_in(client, "vera", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # The same user from another client is not locked out by the attacker's failures.
    assert log_in(client, "vera", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


def test_authenticated_pages_are_not_stored(client, make_user):
    client.force_login(make_user())
    response = client.get(reverse("home"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_get_to_an_action_gets_a_page_saying_so(client, make_user):
    client.force_login(make_user(MANAGE_TICKETS))
    response = client.get(reverse("billing:ticket_create_order", args=[10_001]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "<h1" in response.content.decode()
