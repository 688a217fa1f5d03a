"""The admin site as the staff console: who may enter follows the user's role (certification staff, or a superuser,
who counts as staff), not the `is_staff` flag alone. An agency administrator, instructor, coach or officer gets no
admin, even if someone ticked `is_staff` on their account. (Django's login form still asks for `is_staff`.)

Loaded through `StaffConsoleAdminConfig` in INSTALLED_APPS (Django's documented way to replace the default site), so
every `admin.site.register(...)` lands here. No model imports: this module is read while apps load."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class StaffConsoleSite(AdminSite):
    index_title = "Staff console"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "is_certification_staff", False))


class StaffConsoleAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffConsoleSite"
