"""The billing actions. Their buttons sit on contract, renewal and ticket pages; they post here."""

from django.urls import path

from crm_billing.views import dashboard, orders, renewals, runs

app_name = "billing"

urlpatterns = [
    path("contratti/<int:pk>/nuovo-ordine/", orders.contract_new_order, name="contract_new_order"),
    path("rinnovi/<int:pk>/nuovo-ordine/", orders.renewal_new_order, name="renewal_new_order"),
    path("scadenzario/", renewals.renewals_due, name="renewals_due"),
    path(
        "scadenzario/rinnova-e-fattura/",
        renewals.renew_and_bill_preview,
        name="renew_and_bill_preview",
    ),
    path("contratti/<int:pk>/rinnova/", renewals.contract_renew, name="contract_renew"),
    path(
        "segnalazioni/<int:pk>/crea-ordine/", orders.ticket_create_order, name="ticket_create_order"
    ),
    path("attivita/anteprima/", runs.bill_activities_preview, name="bill_activities_preview"),
    path("da-fatturare/", dashboard.billing_dashboard, name="billing_dashboard"),
    path(
        "da-fatturare/anteprima/",
        dashboard.dashboard_slice_preview,
        name="dashboard_slice_preview",
    ),
    path("attivita/<int:pk>/", runs.billing_run_detail, name="billing_run_detail"),
    path("attivita/<int:pk>/conferma/", runs.billing_run_confirm, name="billing_run_confirm"),
    path("attivita/<int:pk>/riprendi/", runs.billing_run_resume, name="billing_run_resume"),
]
