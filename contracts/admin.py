from django.contrib import admin

from contracts.models import Contract, Renewal


class RenewalInline(admin.TabularInline):
    model = Renewal
    extra = 0
    raw_id_fields = ["order"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "product", "start_date", "end_date", "customer_cost"]
    list_select_related = ["customer", "product"]
    search_fields = ["number", "customer__name"]
    raw_id_fields = ["order"]
    inlines = [RenewalInline]
