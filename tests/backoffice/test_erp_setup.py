"""The ERP settings are checked at start-up; the stand-in's command refuses what it must."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backoffice.checks import check_erp_deploy, check_erp_settings
from backoffice.erp.transports import FileTransport, HttpTransport, get_transport


def ids(messages):
    return sorted(message.id for message in messages)


def test_the_default_file_set_up_passes_the_checks():
    assert check_erp_settings() == []
    assert check_erp_deploy() == []
    assert isinstance(get_transport(), FileTransport)


def test_http_needs_a_url_and_a_long_secret(erp_settings):
    erp_settings.ERP_TRANSMISSION = "http"
    erp_settings.ERP_URL, erp_settings.ERP_SECRET = "", "short"
    assert ids(check_erp_settings()) == ["backoffice.E002", "backoffice.E003"]
    erp_settings.ERP_URL = "https://erp.example.it/api/orders"
    erp_settings.ERP_SECRET = "s" * 32
    assert check_erp_settings() == []
    assert isinstance(get_transport(), HttpTransport)


def test_an_unknown_transmission_is_an_error(erp_settings):
    erp_settings.ERP_TRANSMISSION = "ftp"
    assert ids(check_erp_settings()) == ["backoffice.E001"]


def test_the_lease_must_outlast_the_timeouts(erp_settings):
    erp_settings.ERP_LEASE_SECONDS = 3
    assert ids(check_erp_settings()) == ["backoffice.E004"]


def test_deploy_warns_about_clear_text_to_another_machine(erp_settings):
    erp_settings.ERP_TRANSMISSION = "http"
    erp_settings.ERP_URL = "http://erp.example.it/orders"
    assert ids(check_erp_deploy()) == ["backoffice.W001"]
    erp_settings.ERP_URL = "http://127.0.0.1:8900/orders"
    assert check_erp_deploy() == []


def test_fake_erp_refuses_to_listen_beyond_loopback():
    with pytest.raises(CommandError, match="loopback"):
        call_command("fake_erp", host="0.0.0.0", port=0)  # noqa: S104 - refused


def test_fake_erp_needs_the_secret(erp_settings):
    erp_settings.ERP_SECRET = ""
    with pytest.raises(CommandError, match="secret"):
        call_command("fake_erp", port=0)
