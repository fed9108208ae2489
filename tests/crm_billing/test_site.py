"""The shell every page shares: login, language, security headers, error pages, demo data."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from freezegun import freeze_time

from backoffice.models import Customer, Order
from tests.factories import UserFactory


def test_every_page_needs_a_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_italian_by_default_whatever_the_browser_says(client, db):
    response = client.get(reverse("login"), headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    assert "Accedi" in response.content.decode()


def test_english_can_be_chosen_from_the_menu(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/accesso/"})
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert "Log in" in response.content.decode()


def test_pages_carry_a_csp_without_inline_script(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_repeated_failed_logins_lock_the_account(client, db):
    UserFactory(username="bersaglio")
    for _ in range(5):
        client.post(reverse("login"), {"username": "bersaglio", "password": "sbagliata"})
    response = client.post(reverse("login"), {"username": "bersaglio", "password": "pw-test-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_login_reaches_the_home_page(client, db):
    UserFactory(username="mario")
    response = client.post(
        reverse("login"), {"username": "mario", "password": "pw-test-123"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")


def test_unknown_pages_answer_an_italian_404(client, db):
    client.force_login(UserFactory())
    response = client.get("/non-esiste/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()


@override_settings(SESSION_COOKIE_AGE=1800)
def test_sessions_expire_after_idle_time(client, db):
    client.force_login(UserFactory())
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == 1800


@override_settings(SESSION_COOKIE_AGE=1800, SESSION_REFRESH_SECONDS=60)
def test_a_working_users_session_is_pushed_on_once_a_minute_and_ends_after_idle_time(client, db):
    with freeze_time("2026-12-01 09:00:00") as clock:
        client.force_login(UserFactory())
        client.get(reverse("home"))
        pushed = Session.objects.get().expire_date
        clock.tick(30)
        client.get(reverse("home"))  # within the minute: the session row is not written
        assert Session.objects.get().expire_date == pushed
        clock.tick(31)
        client.get(reverse("home"))
        assert Session.objects.get().expire_date == pushed + timedelta(seconds=61)
        clock.tick(1801)
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_demo_data_loads_once(db):
    call_command("load_demo")
    counts = (Customer.objects.count(), Order.objects.count())
    call_command("load_demo")
    assert (Customer.objects.count(), Order.objects.count()) == counts
    assert counts[0] == 12


@pytest.mark.parametrize("username", ["admin", "backoffice", "postvendita", "tecnico"])
def test_demo_logins_work(client, db, username):
    call_command("load_demo")
    response = client.post(reverse("login"), {"username": username, "password": "demo"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
