from django.contrib import admin

from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket


@admin.register(ActivityStatus)
class ActivityStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]


@admin.register(ActivityCondition)
class ActivityConditionAdmin(admin.ModelAdmin):
    """ "Da fatturare" is set on Configurazione fatturazione, which records who changed it."""

    list_display = ["name", "to_be_billed", "active"]
    readonly_fields = ["to_be_billed"]


class ActivityInline(admin.TabularInline):
    """Read-only: activities change through the ticket pages, which protect billed ones."""

    model = Activity
    extra = 0
    fields = ["date", "technician", "description", "duration_minutes", "status", "condition"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "customer", "opened_on", "closed_on"]
    list_select_related = ["customer"]
    search_fields = ["subject", "customer__name"]
    raw_id_fields = ["contract", "technician"]
    readonly_fields = ["customer"]
    inlines = [ActivityInline]

    def has_delete_permission(self, request, obj=None):
        return False
