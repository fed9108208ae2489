from django.contrib import admin

from backoffice import models


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "vat_number", "tax_code", "city", "payment_terms", "active"]
    list_filter = ["active", "payment_terms", "agent"]
    search_fields = ["code", "name", "vat_number", "tax_code"]


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "unit", "list_price", "vat_rate", "active"]
    list_filter = ["active", "unit", "vat_rate"]
    search_fields = ["code", "description"]


@admin.register(models.OrderType)
class OrderTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "numbering_pattern", "active"]


@admin.register(models.VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "rate", "nature", "active"]

    def get_readonly_fields(self, request, obj=None):
        # Same rule as the app's form: a rate used on order lines keeps its rate and nature.
        if obj is not None and models.OrderLine.objects.filter(vat_rate=obj).exists():
            return ["rate", "nature"]
        return []


admin.site.register([models.PaymentTerms, models.DealSubject, models.Agent])


class OrderLineInline(admin.TabularInline):
    model = models.OrderLine
    extra = 0
    fields = [
        "position",
        "product",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "vat_rate",
        "net_amount",
        "is_live",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = models.OrderEvent
    extra = 0
    fields = ["at", "kind", "actor", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only here: orders change only through the Back Office services, which keep totals,
    numbering and the event log right."""

    list_display = ["number", "protocol", "order_type", "customer", "date", "status", "total"]
    list_filter = ["status", "origin", "order_type"]
    search_fields = ["number", "protocol", "customer__name"]
    list_select_related = ["order_type", "customer"]
    inlines = [OrderLineInline, OrderEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransmissionAttemptInline(admin.TabularInline):
    model = models.TransmissionAttempt
    extra = 0
    fields = [
        "number",
        "started_at",
        "delay_before",
        "transport",
        "outcome",
        "http_status",
        "message",
        "erp_reference",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Transmission)
class TransmissionAdmin(admin.ModelAdmin):
    """Read-only: transmissions change only through the ERP services (invariant 6)."""

    list_display = [
        "order",
        "revision",
        "state",
        "attempt_count",
        "next_attempt_at",
        "erp_reference",
        "created_at",
    ]
    list_filter = ["state"]
    search_fields = ["order__number", "order__protocol", "idempotency_key", "erp_reference"]
    list_select_related = ["order__order_type"]
    inlines = [TransmissionAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
