from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Agency, EmploymentRecord, Officer, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "agency", "is_active", "is_superuser")
    list_filter = ("role", "is_active", "is_superuser")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("PeaceCert", {"fields": ("role", "agency", "session_version")}),
    )
    readonly_fields = ("session_version",)

    def save_model(self, request, obj, form, change):
        # Deactivating here ends every session for good, as the service does (reactivation revives no token).
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.session_version += 1
        super().save_model(request, obj, form, change)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "county", "agency_type", "sworn_headcount")
    list_filter = ("state", "agency_type")
    search_fields = ("name", "county")


class EmploymentRecordInline(admin.TabularInline):
    model = EmploymentRecord
    extra = 0
    autocomplete_fields = ("agency",)


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "state", "license_number", "agency", "rank")
    list_filter = ("state",)
    list_select_related = ("agency",)
    search_fields = ("last_name", "first_name", "license_number")
    autocomplete_fields = ("agency",)
    inlines = [EmploymentRecordInline]
