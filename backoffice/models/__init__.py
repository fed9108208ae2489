"""The Back Office's models, by concern: master data, orders, transmissions to the ERP.

This is the bottom business app: it imports only `core`. Re-exported here so that
`backoffice.models.Order` and the migrations keep their names."""

from backoffice.models.imports import MasterDataImport
from backoffice.models.master_data import (
    NOT_NEGATIVE,
    PERCENT,
    Agent,
    AgreedPrice,
    Customer,
    DealSubject,
    MasterData,
    OrderType,
    PaymentTerms,
    PriceList,
    PriceListItem,
    Product,
    VatRate,
)
from backoffice.models.orders import (
    NumberSequence,
    Order,
    OrderEvent,
    OrderLine,
    OrderQuerySet,
)
from backoffice.models.transmissions import (
    Transmission,
    TransmissionAttempt,
    TransmissionQuerySet,
)

__all__ = [
    "NOT_NEGATIVE",
    "PERCENT",
    "Agent",
    "AgreedPrice",
    "Customer",
    "DealSubject",
    "MasterData",
    "MasterDataImport",
    "NumberSequence",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderQuerySet",
    "OrderType",
    "PaymentTerms",
    "PriceList",
    "PriceListItem",
    "Product",
    "Transmission",
    "TransmissionAttempt",
    "TransmissionQuerySet",
    "VatRate",
]
