"""System checks of the ERP settings: a wrong transmission set-up shows at start-up (and in
`manage.py check --deploy`), not at the first send."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from backoffice.erp.transports import HTTP, TRANSPORTS

MIN_SECRET_LENGTH = 32


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register()
def check_erp_settings(app_configs=None, **kwargs):
    errors = []
    if settings.ERP_TRANSMISSION not in TRANSPORTS:
        errors.append(
            checks.Error(
                f"ERP_TRANSMISSION is {settings.ERP_TRANSMISSION!r}.",
                hint=f"Choose one of: {', '.join(TRANSPORTS)}.",
                id="backoffice.E001",
            )
        )
    if settings.ERP_TRANSMISSION == HTTP:
        url = urlsplit(settings.ERP_URL)
        if url.scheme not in ("http", "https") or not url.hostname:
            errors.append(
                checks.Error(
                    "ERP_TRANSMISSION is http but ERP_URL is not an http(s) URL.",
                    id="backoffice.E002",
                )
            )
        if len(settings.ERP_SECRET) < MIN_SECRET_LENGTH:
            errors.append(
                checks.Error(
                    f"ERP_SECRET must have at least {MIN_SECRET_LENGTH} characters.",
                    hint="The ERP checks the HMAC signature of every request with it.",
                    id="backoffice.E003",
                )
            )
    if settings.ERP_LEASE_SECONDS <= settings.ERP_CONNECT_TIMEOUT + settings.ERP_READ_TIMEOUT:
        errors.append(
            checks.Error(
                "ERP_LEASE_SECONDS must be longer than ERP_CONNECT_TIMEOUT + ERP_READ_TIMEOUT.",
                hint="Otherwise a slow answer lets a second worker deliver the same order.",
                id="backoffice.E004",
            )
        )
    if settings.ERP_MAX_ATTEMPTS < 1:
        errors.append(checks.Error("ERP_MAX_ATTEMPTS must be at least 1.", id="backoffice.E005"))
    return errors


@checks.register(deploy=True)
def check_erp_deploy(app_configs=None, **kwargs):
    url = urlsplit(settings.ERP_URL)
    if (
        settings.ERP_TRANSMISSION == HTTP
        and url.scheme == "http"
        and not _is_loopback(url.hostname or "")
    ):
        return [
            checks.Warning(
                "ERP_URL sends orders in clear text (http) to another machine.",
                hint="Use https: the signature proves who sent an order, it does not hide it.",
                id="backoffice.W001",
            )
        ]
    return []
