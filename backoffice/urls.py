from django.urls import path

from backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("ordini/", views.order_list, name="order_list"),
    path("ordini/nuovo/", views.order_create, name="order_create"),
    path("ordini/<int:pk>/", views.order_detail, name="order_detail"),
    path("ordini/<int:pk>/testata/", views.order_header_update, name="order_header_update"),
    path("ordini/<int:pk>/righe/", views.order_line_add, name="order_line_add"),
    path("ordini/<int:pk>/righe/<int:line_pk>/", views.order_line_update, name="order_line_update"),
    path(
        "ordini/<int:pk>/righe/<int:line_pk>/elimina/",
        views.order_line_delete,
        name="order_line_delete",
    ),
    path("ordini/<int:pk>/annulla/", views.order_cancel, name="order_cancel"),
    path("ordini/<int:pk>/invia/", views.order_send, name="order_send"),
    path(
        "ordini/<int:pk>/invii/<int:transmission_pk>/reinvia/",
        views.transmission_resend,
        name="transmission_resend",
    ),
    path("ordini/<int:pk>/invii/", views.order_transmissions, name="order_transmissions"),
    path("anagrafiche/<slug:kind>/", views.MasterDataList.as_view(), name="masterdata_list"),
    path(
        "anagrafiche/<slug:kind>/nuovo/", views.MasterDataCreate.as_view(), name="masterdata_create"
    ),
    path(
        "anagrafiche/<slug:kind>/<int:pk>/",
        views.MasterDataUpdate.as_view(),
        name="masterdata_update",
    ),
]
