from django.contrib import admin

from .models import AuditEvent, Heartbeat


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("sequence", "occurred_at", "action", "target_type", "target_id", "actor_label")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "actor_label")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # The audit trail is append-only: nobody edits or deletes it, not even a superuser.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at")
