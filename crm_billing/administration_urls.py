"""Amministrazione: Configurazione fatturazione and Gestione Utenti."""

from django.urls import path

from crm_billing.views import configuration, indices, users

app_name = "administration"

urlpatterns = [
    path(
        "configurazione-fatturazione/",
        configuration.billing_configuration,
        name="billing_configuration",
    ),
    path(
        "configurazione-fatturazione/prodotti/",
        configuration.product_options,
        name="product_options",
    ),
    path("indici-istat/", indices.price_indices, name="price_indices"),
    path("utenti/", users.user_list, name="user_list"),
    path("utenti/nuovo/", users.user_create, name="user_create"),
    path("utenti/<int:pk>/", users.user_update, name="user_update"),
    path("utenti/<int:pk>/disattiva/", users.user_deactivate, name="user_deactivate"),
    path("utenti/<int:pk>/riattiva/", users.user_activate, name="user_activate"),
]
