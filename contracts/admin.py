from django.contrib import admin

from contracts.models import Contract, Renewal


class RenewalInline(admin.TabularInline):
    model = Renewal
    extra = 0
    # The order is linked on the renewal page, which checks it belongs to the customer.
    readonly_fields = ["order"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "product", "start_date", "end_date", "customer_cost"]
    list_select_related = ["customer", "product"]
    search_fields = ["number", "customer__name"]
    # The order is linked on the contract page, which checks it belongs to the customer.
    readonly_fields = ["order"]
    inlines = [RenewalInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        # The renewals added, changed or deleted here, or the contract's own end date, move
        # its current end: stored again once the inlines are saved.
        super().save_related(request, form, formsets, change)
        form.instance.store_current_end()
