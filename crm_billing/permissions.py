"""The billing module's own functions, declared in ProjectFunctions.Meta.permissions."""

CONFIGURE_BILLING = "crm_billing.configure_billing"
MANAGE_USERS = "crm_billing.manage_users"
