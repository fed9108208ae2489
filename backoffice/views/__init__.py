"""The Back Office pages, one module per concern: orders, erp (Invia al gestionale), master_data."""
