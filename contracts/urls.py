from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("nuovo/", views.contract_create, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/disdetta/", views.contract_cancel, name="contract_cancel"),
    path("ordini-cliente/", views.customer_orders_options, name="customer_orders"),
    path("<int:contract_pk>/rinnovi/nuovo/", views.renewal_create, name="renewal_create"),
    path("rinnovi/", views.renewal_list, name="renewal_list"),
    path("rinnovi/<int:pk>/", views.renewal_detail, name="renewal_detail"),
    path("<int:pk>/tariffe/", views.contract_rate_add, name="contract_rate_add"),
    path("tariffe/<int:pk>/elimina/", views.contract_rate_delete, name="contract_rate_delete"),
    path("<int:pk>/monte-ore/", views.prepaid_hours_add, name="prepaid_hours_add"),
    path("monte-ore/<int:pk>/elimina/", views.prepaid_hours_delete, name="prepaid_hours_delete"),
]
