"""The contracts function, declared in Contract.Meta.permissions."""

MANAGE_CONTRACTS = "contracts.manage_contracts"
