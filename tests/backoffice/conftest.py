"""Every Back Office test sends to a temporary export folder, with backoff delays short enough
not to slow the suite; `stand_in` runs the stand-in ERP and switches to the http transmission."""

import time

import pytest
from django.utils import timezone

from devtools.stand_in_erp import StandInErp

ERP_SECRET = "test-erp-secret-0123456789abcdefghijklmnop"


@pytest.fixture(autouse=True)
def erp_settings(settings, tmp_path):
    settings.ERP_TRANSMISSION = "file"
    settings.ERP_EXPORT_DIR = tmp_path / "erp-export"
    settings.ERP_URL = ""
    settings.ERP_SECRET = ERP_SECRET
    settings.ERP_CONNECT_TIMEOUT = 2.0
    settings.ERP_READ_TIMEOUT = 2.0
    settings.ERP_MAX_ATTEMPTS = 4
    settings.ERP_BACKOFF_BASE = 0.05
    settings.ERP_BACKOFF_CAP = 0.5
    settings.ERP_LEASE_SECONDS = 30.0
    settings.ERP_SWEEP_GRACE_SECONDS = 0.0
    return settings


@pytest.fixture
def stand_in(erp_settings):
    with StandInErp(secret=ERP_SECRET) as erp:
        erp_settings.ERP_TRANSMISSION = "http"
        erp_settings.ERP_URL = erp.url
        yield erp


def wait_until(moment):
    """Sleep until a (short) moment in the future has passed."""
    remaining = (moment - timezone.now()).total_seconds()
    if remaining > 0:
        time.sleep(remaining + 0.01)
