from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from crm_billing import views
from crm_billing.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("salute/", views.health, name="health"),
    path("accesso/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("uscita/", auth_views.LogoutView.as_view(), name="logout"),
    path("lingua/", login_not_required(set_language), name="set_language"),
    path("backoffice/", include("backoffice.urls")),
    path("contratti/", include("contracts.urls")),
    path(
        "fatturazione/contratti/<int:pk>/nuovo-ordine/",
        views.contract_new_order,
        name="contract_new_order",
    ),
    path(
        "fatturazione/rinnovi/<int:pk>/nuovo-ordine/",
        views.renewal_new_order,
        name="renewal_new_order",
    ),
    path("segnalazioni/", include("tickets.urls")),
    path(
        "fatturazione/segnalazioni/<int:pk>/crea-ordine/",
        views.ticket_create_order,
        name="ticket_create_order",
    ),
    path(
        "fatturazione/attivita/anteprima/",
        views.bill_activities_preview,
        name="bill_activities_preview",
    ),
    path(
        "fatturazione/attivita/conferma/",
        views.bill_activities_confirm,
        name="bill_activities_confirm",
    ),
    path("fatturazione/attivita/<int:pk>/", views.billing_run_detail, name="billing_run_detail"),
    path(
        "fatturazione/attivita/<int:pk>/riprendi/",
        views.billing_run_resume,
        name="billing_run_resume",
    ),
    path(
        "amministrazione/configurazione-fatturazione/",
        views.billing_configuration,
        name="billing_configuration",
    ),
    path("amministrazione/utenti/", views.user_list, name="user_list"),
    path("amministrazione/utenti/nuovo/", views.user_create, name="user_create"),
    path("amministrazione/utenti/<int:pk>/", views.user_update, name="user_update"),
    path(
        "amministrazione/utenti/<int:pk>/disattiva/",
        views.user_set_active,
        {"active": False},
        name="user_deactivate",
    ),
    path(
        "amministrazione/utenti/<int:pk>/riattiva/",
        views.user_set_active,
        {"active": True},
        name="user_activate",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "crm_billing.errors.permission_denied"
handler404 = "crm_billing.errors.page_not_found"
handler500 = "crm_billing.errors.server_error"
