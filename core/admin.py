"""The Django admin is a second door into the same data, so it follows the same rules as the API: screens are
open to the certification-staff *role* (not hand-granted model permissions), and a screen either changes data
through the same service as the API (with its audit entry) or is read-only."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from .exceptions import ApplicationError
from .models import AuditEvent, Heartbeat


def is_certification_staff(request) -> bool:
    return bool(request.user.is_active and getattr(request.user, "is_certification_staff", False))


class StaffRoleAccess:
    """Certification staff (the role) see these screens; nobody else does."""

    def has_module_permission(self, request):
        return is_certification_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_certification_staff(request)


def refusal_text(exc) -> str:
    """A service refusal as one line: its message, then each field's reasons."""
    message = getattr(exc, "message", None) or str(exc)
    detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in (getattr(exc, "fields", None) or {}).items())
    return f"{message} {detail}".strip()


def run_each(modeladmin, request, queryset, action, done: str) -> None:
    """Apply a service to each selected row (each call is its own transaction, with its audit entry); report the
    successes and each refusal (409, validation, two-person rule) as admin messages, never as a 500."""
    ok = 0
    for obj in queryset:
        try:
            action(obj)
            ok += 1
        except (ApplicationError, IntegrityError) as exc:
            modeladmin.message_user(request, f"{obj}: {refusal_text(exc)}", level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", level=messages.SUCCESS)


def action_with_form(modeladmin, request, queryset, *, form_class, title: str, apply, intro: str = ""):
    """An admin action that first asks for what its service needs (a carrier and tracking number, a reason, a
    determination). The form posts back to the same action with `apply`; a valid form runs `apply(cleaned_data)`
    and returns to the list, an invalid one is shown again with its errors."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        apply(form.cleaned_data)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title, "intro": intro, "form": form, "queryset": queryset, "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""), "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/console_action_form.html", context)


class ServiceBackedAdmin(StaffRoleAccess, admin.ModelAdmin):
    """Saves call a service; a refusal is shown on the form and nothing is written (no success message).
    A subclass defines `save_via_service`; a formset saved through a service sets `request._service_refusal` the
    same way (see `refuse`)."""

    def has_add_permission(self, request):
        return is_certification_staff(request)

    def has_change_permission(self, request, obj=None):
        return is_certification_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_via_service(self, request, obj, form, change):  # pragma: no cover - each admin defines it
        raise NotImplementedError

    @staticmethod
    def adopt(obj, saved) -> None:
        """Make the admin's unsaved form object stand for the row the service saved (its messages and links)."""
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def refuse(self, request, exc) -> None:
        request._service_refusal = exc
        self.message_user(request, f"Not saved — {refusal_text(exc)}", level=messages.ERROR)

    def save_model(self, request, obj, form, change):
        try:
            self.save_via_service(request, obj, form, change)
        except ApplicationError as exc:
            self.refuse(request, exc)

    def save_related(self, request, form, formsets, change):
        if not self._refused(request):
            super().save_related(request, form, formsets, change)

    def _refused(self, request):
        return getattr(request, "_service_refusal", None) is not None

    def response_add(self, request, obj, post_url_continue=None):
        if self._refused(request):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._refused(request):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if not self._refused(request):
            super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not self._refused(request):
            super().log_change(request, obj, message)


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


class ReadOnlyInline(StaffRoleAccess, admin.TabularInline):
    """Rows shown on their parent's page (licence history, a checklist, a roster): visible to the staff role (an
    inline checks view permission on its own), never changed here."""

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
class HeartbeatAdmin(ReadOnlyModelAdmin):
    """When each periodic job last ran (written by the worker; staff read it)."""

    list_display = ("name", "beat_at")
