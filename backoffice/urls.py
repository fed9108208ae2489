from django.urls import path

from backoffice.views import erp, imports, master_data, orders

app_name = "backoffice"

urlpatterns = [
    path("ordini/", orders.order_list, name="order_list"),
    path("ordini/nuovo/", orders.order_create, name="order_create"),
    path("ordini/<int:pk>/", orders.order_detail, name="order_detail"),
    path("ordini/<int:pk>/pdf/", orders.order_pdf, name="order_pdf"),
    path("ordini/<int:pk>/testata/", orders.order_header_update, name="order_header_update"),
    path("ordini/<int:pk>/righe/", orders.order_line_add, name="order_line_add"),
    path(
        "ordini/<int:pk>/righe/<int:line_pk>/", orders.order_line_update, name="order_line_update"
    ),
    path(
        "ordini/<int:pk>/righe/<int:line_pk>/modifica/",
        orders.order_line_edit,
        name="order_line_edit",
    ),
    path("ordini/<int:pk>/righe/<int:line_pk>/riga/", orders.order_line_row, name="order_line_row"),
    path(
        "ordini/<int:pk>/righe/<int:line_pk>/elimina/",
        orders.order_line_delete,
        name="order_line_delete",
    ),
    path("ordini/<int:pk>/annulla/", orders.order_cancel, name="order_cancel"),
    path("ordini/<int:pk>/invia/", erp.order_send, name="order_send"),
    path(
        "ordini/<int:pk>/invii/<int:transmission_pk>/reinvia/",
        erp.transmission_resend,
        name="transmission_resend",
    ),
    path("ordini/<int:pk>/invii/", erp.transmissions_card, name="order_transmissions"),
    # Before the kinds' own addresses: "importa" is no kind.
    path("anagrafiche/importa/", imports.masterdata_import, name="masterdata_import"),
    path(
        "anagrafiche/importa/<int:pk>/",
        imports.masterdata_import_detail,
        name="masterdata_import_detail",
    ),
    path(
        "anagrafiche/importa/<int:pk>/applica/",
        imports.masterdata_import_apply,
        name="masterdata_import_apply",
    ),
    path("anagrafiche/<slug:kind>/", master_data.MasterDataList.as_view(), name="masterdata_list"),
    path(
        "anagrafiche/<slug:kind>/nuovo/",
        master_data.MasterDataCreate.as_view(),
        name="masterdata_create",
    ),
    path(
        "anagrafiche/<slug:kind>/<int:pk>/",
        master_data.MasterDataUpdate.as_view(),
        name="masterdata_update",
    ),
    path(
        "anagrafiche/<slug:kind>/<int:pk>/elimina/",
        master_data.masterdata_delete,
        name="masterdata_delete",
    ),
]
