"""The Back Office functions, as "app_label.codename" for has_perm and function_required.
They are declared in Order.Meta.permissions; elsewhere they are named only through these
constants."""

MANAGE_ORDERS = "backoffice.manage_orders"
SEND_TO_ERP = "backoffice.send_to_erp"
MANAGE_MASTER_DATA = "backoffice.manage_master_data"
