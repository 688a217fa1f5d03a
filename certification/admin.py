"""Staff screens. Statuses are read-only: every change goes through the same services as the API, so the rules —
requirements met before issue, the two-person rule, revocation is final — hold here too."""

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError
from django.utils import timezone

from core.admin import StaffRoleAccess, is_certification_staff
from core.exceptions import ApplicationError

from . import services
from .models import (
    AgencyCertification,
    AgencyCertificationReminder,
    CertificationProgramme,
    Finding,
    OfficerCertification,
    OfficerCertificationCycle,
    Plaque,
    PlaqueStatus,
    ProgrammeRequirement,
    RequirementStatus,
)


def _run_each(modeladmin, request, queryset, action, done: str):
    """Apply a service to each selected row; report successes and refusals (with their codes) as messages."""
    ok = 0
    for obj in queryset:
        try:
            action(obj)
            ok += 1
        except (ApplicationError, IntegrityError) as exc:
            message = f"{obj}: {getattr(exc, 'message', str(exc))}"
            modeladmin.message_user(request, message, level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", level=messages.SUCCESS)


# The one role check for admin screens lives in core (certification staff, not Django model permissions).
CertificationStaffAccess = StaffRoleAccess


class ReadOnlyStatusAdmin(CertificationStaffAccess, admin.ModelAdmin):
    """Rows are created and changed through services (API or the actions below), not edited field by field."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ProgrammeRequirementInline(admin.TabularInline):
    model = ProgrammeRequirement
    extra = 0
    fields = ("position", "code", "title", "kind", "computed_rule", "is_active")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # checklist items are added and retired through the API, which audits them


@admin.register(CertificationProgramme)
class CertificationProgrammeAdmin(ReadOnlyStatusAdmin):
    list_display = ("name", "code", "is_active")
    search_fields = ("name", "code")
    inlines = [ProgrammeRequirementInline]


class RequirementStatusInline(admin.TabularInline):
    model = RequirementStatus
    extra = 0
    # The document's name, not a link: media files are only served by the authenticated download endpoint.
    fields = ("requirement", "state", "document_name", "attested_by_name", "note", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AgencyCertification)
class AgencyCertificationAdmin(ReadOnlyStatusAdmin):
    list_display = ("agency", "programme", "status", "certificate_number", "valid_until", "applied_at")
    list_filter = ("status", "programme")
    list_select_related = ("agency", "programme")
    search_fields = ("agency__name", "certificate_number")
    inlines = [RequirementStatusInline]
    actions = ["issue_selected"]

    @admin.action(description="Issue selected certifications (every requirement must be met)")
    def issue_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("agency", "programme"),
                  lambda c: services.agency_certification_issue(actor=request.user, certification=c), "issued")


@admin.register(Plaque)
class PlaqueAdmin(ReadOnlyStatusAdmin):
    list_display = ("certification", "status", "due_on", "carrier", "tracking_number", "days_taken")
    list_filter = ("status",)
    list_select_related = ("certification", "certification__agency", "certification__programme")
    search_fields = ("certification__agency__name", "tracking_number")
    actions = ["mark_printed", "mark_delivered"]

    @admin.action(description="Mark selected plaques printed")
    def mark_printed(self, request, queryset):
        _run_each(self, request, queryset, lambda p: services.plaque_advance(
            actor=request.user, plaque=p, to=PlaqueStatus.PRINTED), "marked printed")

    @admin.action(description="Mark selected plaques delivered")
    def mark_delivered(self, request, queryset):
        _run_each(self, request, queryset, lambda p: services.plaque_advance(
            actor=request.user, plaque=p, to=PlaqueStatus.DELIVERED), "marked delivered")


class OfficerCertificationCycleInline(admin.TabularInline):
    model = OfficerCertificationCycle
    extra = 0
    fields = ("cycle_start", "cycle_end", "ce_hours", "granted_at", "granted_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OfficerCertification)
class OfficerCertificationAdmin(ReadOnlyStatusAdmin):
    list_display = ("officer", "status", "cycle_start", "valid_until", "revoked_at")
    list_filter = ("status",)
    list_select_related = ("officer",)
    search_fields = ("officer__last_name", "officer__license_number")
    inlines = [OfficerCertificationCycleInline]
    actions = ["grant_again", "renew_selected"]

    @admin.action(description="Grant selected lapsed certifications again (CE hours and findings are checked)")
    def grant_again(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda c: services.officer_certification_grant(
            actor=request.user, officer=c.officer), "granted")

    @admin.action(description="Renew selected certifications for the next cycle")
    def renew_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda c: services.officer_certification_renew(
            actor=request.user, certification=c), "renewed")


class FindingRecordForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ("officer", "agency", "incident_date", "summary", "evidence_references", "source")

    def clean_incident_date(self):
        value = self.cleaned_data["incident_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("The incident cannot be in the future.")
        return value


@admin.register(Finding)
class FindingAdmin(ReadOnlyStatusAdmin):
    list_display = ("id", "officer", "agency", "incident_date", "status", "determination", "recorded_by",
                    "determined_by", "verified_by")
    list_filter = ("status", "determination", "source")
    list_select_related = ("officer", "agency", "recorded_by", "determined_by", "verified_by")
    search_fields = ("officer__last_name", "officer__license_number", "summary")
    actions = ["notice_selected", "verify_selected"]
    add_fields = ("officer", "agency", "incident_date", "summary", "evidence_references", "source")
    autocomplete_fields = ("officer", "agency")

    # Recording is allowed here (through finding_record); everything after goes through the actions.
    def has_add_permission(self, request):
        return is_certification_staff(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = FindingRecordForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is edited in place
        data = form.cleaned_data
        finding = services.finding_record(actor=request.user, officer=data["officer"], agency=data.get("agency"),
                                          incident_date=data["incident_date"], summary=data["summary"],
                                          evidence_references=data.get("evidence_references") or [],
                                          source=data["source"])
        obj.pk = finding.pk

    @admin.action(description="Send the notice for selected findings")
    def notice_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda f: services.finding_notice(
            actor=request.user, finding=f), "noticed")

    @admin.action(description="Verify selected sustained findings (two-person rule: not by who recorded or "
                              "determined them)")
    def verify_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda f: services.finding_verify(
            actor=request.user, finding=f), "verified")


@admin.register(AgencyCertificationReminder)
class AgencyCertificationReminderAdmin(ReadOnlyStatusAdmin):
    list_display = ("certification", "days_before", "sent_at")
    list_select_related = ("certification", "certification__agency", "certification__programme")
