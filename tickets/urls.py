from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("nuova/", views.ticket_create, name="ticket_create"),
    path("contratti-cliente/", views.customer_contracts_options, name="customer_contracts"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:ticket_pk>/attivita/nuova/", views.activity_create, name="activity_create"),
    path("attivita/<int:pk>/", views.activity_update, name="activity_update"),
    path("attivita/<int:pk>/elimina/", views.activity_delete, name="activity_delete"),
]
