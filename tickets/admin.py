from django.contrib import admin

from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket


@admin.register(ActivityStatus)
class ActivityStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]


@admin.register(ActivityCondition)
class ActivityConditionAdmin(admin.ModelAdmin):
    list_display = ["name", "to_be_billed", "active"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    raw_id_fields = ["technician"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "customer", "opened_on", "closed_on"]
    list_select_related = ["customer"]
    search_fields = ["subject", "customer__name"]
    raw_id_fields = ["contract", "technician"]
    inlines = [ActivityInline]
