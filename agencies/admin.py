"""Staff screens for people and agencies. Every change goes through the same services as the API (with its audit
entry); identity fields of an existing officer, permanent ineligibility, licence and employment history are
read-only here — identity is corrected with a reason through the API, and ineligibility is never cleared."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect

from core.admin import ReadOnlyInline, ReadOnlyModelAdmin, StaffRoleAccess, is_certification_staff
from core.exceptions import ApplicationError

from . import services
from .models import Agency, EmploymentRecord, IdentityReview, Officer, OfficerLicense, User


class ServiceBackedAdmin(StaffRoleAccess, admin.ModelAdmin):
    """Saves call a service; a refusal is shown on the form and nothing is written (no success message)."""

    def has_add_permission(self, request):
        return is_certification_staff(request)

    def has_change_permission(self, request, obj=None):
        return is_certification_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_via_service(self, request, obj, form, change):  # pragma: no cover - each admin defines it
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            self.save_via_service(request, obj, form, change)
        except ApplicationError as exc:
            request._service_refusal = exc
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
            self.message_user(request, f"Not saved — {exc.message} {detail}".strip(), level=messages.ERROR)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_service_refusal", None) is None:
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


@admin.register(User)
class UserAdmin(StaffRoleAccess, DjangoUserAdmin):
    list_display = ("username", "email", "role", "agency", "is_active", "is_superuser")
    list_filter = ("role", "is_active", "is_superuser")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("PeaceCert", {"fields": ("role", "agency", "session_version")}),
    )

    def has_add_permission(self, request):
        return is_certification_staff(request)

    def has_change_permission(self, request, obj=None):
        return is_certification_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the audit trail keeps naming the account

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out superuser rights or model permissions; staff manage roles.
        fixed = ["session_version", "last_login", "date_joined"]
        if not request.user.is_superuser:
            fixed += ["is_superuser", "groups", "user_permissions"]
        return fixed

    def save_model(self, request, obj, form, change):
        services.user_save(user=obj, actor=request.user, created=not change,
                           changed=[f for f in form.changed_data if f not in ("password", "password1", "password2")],
                           password_changed=bool({"password1", "password2", "password"} & set(form.changed_data)))


@admin.register(Agency)
class AgencyAdmin(ServiceBackedAdmin):
    list_display = ("name", "state", "county", "agency_type", "sworn_headcount")
    list_filter = ("state", "agency_type")
    search_fields = ("name", "county")
    fields = services.AGENCY_EDITABLE_FIELDS

    def save_via_service(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.AGENCY_EDITABLE_FIELDS if f in form.cleaned_data}
        if change:
            services.agency_update(agency=Agency.objects.get(pk=obj.pk), actor=request.user, data=data)
        else:
            obj.pk = services.agency_create(actor=request.user, **data).pk


class EmploymentRecordInline(ReadOnlyInline):
    model = EmploymentRecord
    fields = ("agency", "rank", "started_on", "ended_on")
    readonly_fields = fields


class OfficerLicenseInline(ReadOnlyInline):
    model = OfficerLicense
    fields = ("state", "license_number", "held_from", "held_until", "recorded_in_error", "recorded_by", "reason")
    readonly_fields = fields
    verbose_name_plural = "licence history"


OFFICER_ADD_FIELDS = ("agency", "first_name", "last_name", "state", "license_number", "date_of_birth", "rank",
                      "hire_date", "email")
OFFICER_READ_ONLY_ON_CHANGE = ("agency", *services.IDENTITY_FIELDS, "permanently_ineligible_at",
                               "ineligibility_reason", "same_person_as")


class OfficerAddForm(forms.ModelForm):
    """Shows the registry's licence rule on the form itself (the service enforces it again on save)."""

    class Meta:
        model = Officer
        fields = OFFICER_ADD_FIELDS

    def clean(self):
        cleaned = super().clean()
        state, number = cleaned.get("state"), cleaned.get("license_number")
        if state and number:
            try:
                services.license_available_check(state=state, license_number=number)
            except ApplicationError as exc:
                self.add_error("license_number", exc.message)
        return cleaned


@admin.register(Officer)
class OfficerAdmin(ServiceBackedAdmin):
    list_display = ("last_name", "first_name", "state", "license_number", "agency", "rank",
                    "permanently_ineligible_at")
    list_filter = ("state",)
    list_select_related = ("agency",)
    search_fields = ("last_name", "first_name", "license_number", "licenses__license_number")
    autocomplete_fields = ("agency",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfficerAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return OFFICER_ADD_FIELDS
        return (*OFFICER_READ_ONLY_ON_CHANGE, *services.OFFICER_EDITABLE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else OFFICER_READ_ONLY_ON_CHANGE

    def get_inlines(self, request, obj):
        return [] if obj is None else [OfficerLicenseInline, EmploymentRecordInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.officer_update(officer=Officer.objects.get(pk=obj.pk), actor=request.user,
                                    data={f: data[f] for f in services.OFFICER_EDITABLE_FIELDS if f in data})
        else:
            obj.pk = services.officer_create(actor=request.user, source="admin",
                                             **{f: data.get(f) for f in OFFICER_ADD_FIELDS}).pk


@admin.register(IdentityReview)
class IdentityReviewAdmin(ReadOnlyModelAdmin):
    """The staff queue of records that look like a permanently ineligible person. Decide through
    POST /api/v1/identity-reviews/{id}/decide/ (linked, cleared or dismissed, with a reason)."""

    list_display = ("id", "status", "agency", "matched_officer", "state", "license_number", "source", "requested_at")
    list_filter = ("status", "source")
    list_select_related = ("agency", "matched_officer")
