import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from backoffice.permissions import MANAGE_ORDERS
from crm_billing.permissions import MANAGE_USERS
from tests.factories import perm


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user(MANAGE_USERS, username="gestore")
    client.force_login(admin)
    client.user = admin
    return client


def test_an_administrator_ticks_the_functions_of_a_user(admin_client, make_user):
    user = make_user(username="operatore")
    response = admin_client.post(
        reverse("administration:user_update", args=[user.pk]),
        {
            "first_name": "Ugo",
            "last_name": "Neri",
            "email": "",
            "functions": [perm(MANAGE_ORDERS).pk],
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=user.pk)
    assert user.has_perm(MANAGE_ORDERS)
    assert not user.has_perm(MANAGE_USERS)
    # Unticking takes the function away again.
    admin_client.post(
        reverse("administration:user_update", args=[user.pk]),
        {"first_name": "Ugo", "last_name": "Neri", "email": ""},
    )
    assert not get_user_model().objects.get(pk=user.pk).has_perm(MANAGE_ORDERS)


def test_an_administrator_creates_a_user_who_can_log_in(admin_client, client):
    response = admin_client.post(
        reverse("administration:user_create"),
        {
            "username": "nuovo",
            "first_name": "Nadia",
            "last_name": "Verdi",
            "email": "nadia@example.it",
            "password1": "Assistenza-2026!",
            "password2": "Assistenza-2026!",
            "functions": [perm(MANAGE_ORDERS).pk],
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="nuovo")
    assert user.has_perm(MANAGE_ORDERS)


def test_a_weak_password_is_refused(admin_client):
    response = admin_client.post(
        reverse("administration:user_create"),
        {"username": "debole", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not get_user_model().objects.filter(username="debole").exists()


def test_deactivation_asks_for_confirmation_and_blocks_the_login(admin_client, make_user):
    user = make_user(username="uscente")
    url = reverse("administration:user_deactivate", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    assert get_user_model().objects.get(pk=user.pk).is_active
    admin_client.post(url)
    assert not get_user_model().objects.get(pk=user.pk).is_active


def test_an_administrator_cannot_deactivate_themselves(admin_client):
    admin_client.post(reverse("administration:user_deactivate", args=[admin_client.user.pk]))
    assert get_user_model().objects.get(pk=admin_client.user.pk).is_active


def test_the_403_page_names_the_missing_function_in_italian(client, make_user):
    client.force_login(make_user())
    response = client.get(reverse("administration:user_list"))
    assert response.status_code == 403
    assert "Gestione Utenti" in response.content.decode()


def test_the_menu_shows_only_what_the_user_may_use(client, make_user):
    client.force_login(make_user(MANAGE_ORDERS))
    body = client.get(reverse("home")).content.decode()
    assert reverse("backoffice:order_list") in body
    assert reverse("administration:user_list") not in body
