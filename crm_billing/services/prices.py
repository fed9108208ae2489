"""The price of a product on a generated line, and how an activity's time becomes hours.

Price chain: the contract's rate for the product → the customer's price list → the product's
list price. Only a list price takes the customer's default discount: an agreed price is not
discounted again (DESIGN §6). Each price says where it came from, for the preview and the order
page."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from backoffice.models import Customer, OrderLine, PriceListItem, Product
from contracts.models import ContractRate

Source = OrderLine.PriceSource


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    discount_percent: Decimal
    source: str


class PriceBook:
    """The agreed prices of the given contracts and price lists, read in two queries."""

    def __init__(self, *, contract_ids: Iterable[int], price_list_ids: Iterable[int]):
        self.rates = {
            (contract_id, product_id): price
            for contract_id, product_id, price in ContractRate.objects.filter(
                contract_id__in=set(contract_ids)
            ).values_list("contract_id", "product_id", "unit_price")
        }
        self.listed = {
            (price_list_id, product_id): price
            for price_list_id, product_id, price in PriceListItem.objects.filter(
                price_list_id__in=set(price_list_ids)
            ).values_list("price_list_id", "product_id", "unit_price")
        }

    def price(self, product: Product, *, contract_id: int | None, customer: Customer) -> Price:
        agreed = self.rates.get((contract_id, product.pk))
        if agreed is not None:
            return Price(agreed, Decimal("0"), Source.CONTRACT_RATE)
        listed = self.listed.get((customer.price_list_id, product.pk))
        if listed is not None:
            return Price(listed, Decimal("0"), Source.PRICE_LIST)
        return Price(product.list_price, customer.discount_percent, Source.LIST_PRICE)


def billed_minutes(duration_minutes: int | None, *, increment: int, minimum: int) -> int:
    """The minutes billed for an activity: its duration (1 h when none was recorded, DESIGN §6)
    rounded up to the billing increment, and at least the minimum (0 = none)."""
    minutes = 60 if duration_minutes is None else duration_minutes
    if increment:
        minutes = math.ceil(minutes / increment) * increment
    return max(minutes, minimum)


def hours_of(minutes: int) -> Decimal:
    """Minutes as the hours of an order line, to two places."""
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
