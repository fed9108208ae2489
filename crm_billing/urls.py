"""The root URLconf: it only includes. Each app owns its routes under its own namespace."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("backoffice/", include("backoffice.urls")),
    path("contratti/", include("contracts.urls")),
    path("segnalazioni/", include("tickets.urls")),
    path("fatturazione/", include("crm_billing.billing_urls")),
    path("amministrazione/", include("crm_billing.administration_urls")),
    path("admin/", admin.site.urls),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
