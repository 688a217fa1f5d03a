"""The Django admin is a second door into the same data, so it follows the same rules as the API: screens are
open to the certification-staff *role* (not hand-granted model permissions), and a screen either changes data
through the same service as the API (with its audit entry) or is read-only."""

from django.contrib import admin

from .models import AuditEvent, Heartbeat


def is_certification_staff(request) -> bool:
    return bool(request.user.is_active and getattr(request.user, "is_certification_staff", False))


class StaffRoleAccess:
    """Certification staff (the role) see these screens; nobody else does."""

    def has_module_permission(self, request):
        return is_certification_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_certification_staff(request)


class ReadOnlyModelAdmin(StaffRoleAccess, admin.ModelAdmin):
    """A screen that lists and shows rows; every change goes through the API's services (no add, edit or delete
    here, so nothing can skip a rule or its audit entry)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(StaffRoleAccess, admin.ModelAdmin):
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
