"""The staff console's certification screens. Statuses are never edited field by field: every change is an admin
action or a save that calls the same service as the API (with its ledger entry), so the rules — requirements met
before issue, the two-person rule, revocation is final — hold here too, and a refusal shows as a message."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from core.admin import (
    ReadOnlyInline,
    ServiceBackedAdmin,
    StaffRoleAccess,
    action_with_form,
    is_certification_staff,
    run_each,
)
from core.exceptions import ApplicationError

from . import (
    admin_programmes,  # noqa: F401 - registers the programme and checklist screens
    services,
)
from .models import (
    AGENCY_CERTIFICATION_OPEN,
    AgencyCertification,
    AgencyCertificationReminder,
    Determination,
    Finding,
    FindingResponse,
    OfficerCertification,
    OfficerCertificationCycle,
    Plaque,
    PlaqueStatus,
    RequirementKind,
    RequirementState,
    RequirementStatus,
)
from .selectors import plaques_overdue_filter
from .selectors.attention import agency_certifications_expiring_filter, findings_response_overdue_filter
from .selectors.console import officer_certifications_short_of_hours, officer_certifications_with_cycle_hours

EXPIRY_WINDOWS = (90, 30, 7)  # the reminder days (AGENCY_CERTIFICATION_REMINDER_DAYS' defaults)

# The one role check for admin screens lives in core (certification staff, not Django model permissions).
CertificationStaffAccess = StaffRoleAccess
_run_each = run_each


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


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="Recorded in the ledger and sent to the agency.")


# --- needs-action filters -------------------------------------------------------------------------------------

class PlaqueOverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue (past due, not delivered)"), ("no", "On time"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return plaques_overdue_filter(queryset, overdue=self.value() == "yes")
        return queryset


class ExpiringWithinFilter(admin.SimpleListFilter):
    title = "expiring"
    parameter_name = "expiring_within"

    def lookups(self, request, model_admin):
        return [(str(days), f"Within {days} days") for days in EXPIRY_WINDOWS]

    def queryset(self, request, queryset):
        if self.value() in {str(days) for days in EXPIRY_WINDOWS}:
            return agency_certifications_expiring_filter(queryset, within_days=int(self.value()))
        return queryset


class PastResponseDateFilter(admin.SimpleListFilter):
    title = "response window"
    parameter_name = "past_response_date"

    def lookups(self, request, model_admin):
        return (("yes", "Past the response date (ready to determine)"),)

    def queryset(self, request, queryset):
        return findings_response_overdue_filter(queryset, overdue=True) if self.value() == "yes" else queryset


class ShortOfCeHoursFilter(admin.SimpleListFilter):
    title = "CE hours"
    parameter_name = "short_of_ce_hours"

    def lookups(self, request, model_admin):
        return (("yes", "Short of CE hours for their cycle"),)

    def queryset(self, request, queryset):
        return officer_certifications_short_of_hours(queryset) if self.value() == "yes" else queryset


# --- agency certifications and their checklist ------------------------------------------------------------------

STAFF_DECISIONS = (RequirementState.PENDING, RequirementState.MET, RequirementState.REJECTED)


class RequirementDecisionForm(forms.ModelForm):
    """One checklist line: staff set it met, rejected (with a note) or back to pending. Computed lines are evaluated
    from training records and cannot be decided by hand."""

    class Meta:
        model = RequirementStatus
        fields = ("state", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 1, "cols": 30})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "state" not in self.fields:
            return  # a decided certification: the inline shows the line read-only
        current = self.instance.state if self.instance.pk else RequirementState.PENDING
        self.fields["state"].choices = [c for c in RequirementState.choices
                                        if c[0] in STAFF_DECISIONS or c[0] == current]
        if self.instance.pk and self.instance.requirement.kind == RequirementKind.COMPUTED:
            self.fields["state"].disabled = self.fields["note"].disabled = True


class RequirementStatusInline(StaffRoleAccess, admin.TabularInline):
    model = RequirementStatus
    form = RequirementDecisionForm
    extra = 0
    can_delete = False
    # The document's name, not a link: media files are only served by the authenticated download endpoint.
    fields = ("requirement", "kind", "state", "note", "document_name", "attested_by_name", "updated_at")
    verbose_name_plural = "checklist (mark items met, or rejected with a note, then save)"

    @admin.display(description="kind")
    def kind(self, obj):
        return obj.requirement.get_kind_display()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requirement", "certification")

    def get_readonly_fields(self, request, obj=None):
        fixed = ("requirement", "kind", "document_name", "attested_by_name", "updated_at")
        if obj is None or obj.status not in AGENCY_CERTIFICATION_OPEN:
            return (*fixed, "state", "note")  # a decided certification's checklist no longer changes
        return fixed

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return is_certification_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False


class AgencyCertificationAddForm(forms.ModelForm):
    class Meta:
        model = AgencyCertification
        fields = ("agency", "programme")


@admin.register(AgencyCertification)
class AgencyCertificationAdmin(ServiceBackedAdmin):
    """Add = the agency applies (its checklist starts); the change page decides checklist items; the actions
    submit for review, issue (every requirement met; orders the plaque), revoke (with a reason) and renew."""

    list_display = ("agency", "programme", "status", "certificate_number", "valid_until", "applied_at")
    list_filter = (ExpiringWithinFilter, "status", "programme")
    list_select_related = ("agency", "programme")
    search_fields = ("agency__name", "certificate_number")
    autocomplete_fields = ("agency",)
    inlines = [RequirementStatusInline]
    actions = ["submit_selected", "issue_selected", "revoke_selected", "renew_selected"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AgencyCertificationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("agency", "programme") if obj is None else [f.name for f in self.model._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else [f.name for f in self.model._meta.fields]

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_via_service(self, request, obj, form, change):
        if not change:
            obj.pk = services.agency_certification_apply(actor=request.user, agency=form.cleaned_data["agency"],
                                                         programme=form.cleaned_data["programme"]).pk
        # A change saves nothing on the certification itself; its checklist goes through save_formset.

    def save_formset(self, request, form, formset, change):
        """Each changed checklist line through requirement_status_mark; one refusal and none of them is kept."""
        # What the admin's change message reads (formset.save() would set these; it is never called here).
        formset.new_objects, formset.deleted_objects = [], []
        formset.changed_objects = [(line.instance, line.changed_data) for line in formset.forms
                                   if line.instance.pk and line.has_changed()]
        if formset.model is not RequirementStatus:
            return
        try:
            with transaction.atomic():
                for line in formset.forms:
                    if line.instance.pk and line.has_changed():
                        status = RequirementStatus.objects.select_related("requirement", "certification").get(
                            pk=line.instance.pk)
                        services.requirement_status_mark(actor=request.user, status=status,
                                                         state=line.cleaned_data["state"],
                                                         note=line.cleaned_data.get("note") or "")
        except ApplicationError as exc:
            self.refuse(request, exc)

    @admin.action(description="Send selected applications to review")
    def submit_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("agency", "programme"),
                  lambda c: services.agency_certification_submit(actor=request.user, certification=c),
                  "sent to review")

    @admin.action(description="Issue selected certifications (every requirement must be met)")
    def issue_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("agency", "programme"),
                  lambda c: services.agency_certification_issue(actor=request.user, certification=c), "issued")

    @admin.action(description="Revoke selected certifications (with a reason)")
    def revoke_selected(self, request, queryset):
        queryset = queryset.select_related("agency", "programme")
        return action_with_form(self, request, queryset, form_class=ReasonForm, title="Revoke certifications",
                                apply=lambda data: _run_each(
                                    self, request, queryset, lambda c: services.agency_certification_revoke(
                                        actor=request.user, certification=c, reason=data["reason"]), "revoked"))

    @admin.action(description="Start the renewal of selected certificates")
    def renew_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("agency", "programme"),
                  lambda c: services.agency_certification_renew(actor=request.user, certification=c),
                  "renewals started")


# --- plaques ------------------------------------------------------------------------------------------------------

class ShipmentForm(forms.Form):
    carrier = forms.CharField(max_length=100, help_text="For example UPS, FedEx, USPS.")
    tracking_number = forms.CharField(max_length=100)


@admin.register(Plaque)
class PlaqueAdmin(ReadOnlyStatusAdmin):
    """Every step of fulfilment is an action: printed, shipped (carrier and tracking number), delivered."""

    list_display = ("agency", "certificate_number", "status", "due_on", "overdue", "carrier", "tracking_number",
                    "days_taken")
    list_filter = (PlaqueOverdueFilter, "status")
    list_select_related = ("certification", "certification__agency", "certification__programme")
    search_fields = ("certification__agency__name", "certification__certificate_number", "tracking_number")
    actions = ["mark_printed", "mark_shipped", "mark_delivered"]

    @admin.display(description="agency", ordering="certification__agency__name")
    def agency(self, obj):
        return obj.certification.agency

    @admin.display(description="certificate")
    def certificate_number(self, obj):
        return obj.certification.certificate_number

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        return obj.status != PlaqueStatus.DELIVERED and obj.due_on < timezone.localdate()

    def _advance(self, request, queryset, to, done, **extra):
        _run_each(self, request, queryset.select_related("certification"), lambda p: services.plaque_advance(
            actor=request.user, plaque=p, to=to, **extra), done)

    @admin.action(description="Mark selected plaques printed")
    def mark_printed(self, request, queryset):
        self._advance(request, queryset, PlaqueStatus.PRINTED, "marked printed")

    @admin.action(description="Mark selected plaques shipped (carrier and tracking number)")
    def mark_shipped(self, request, queryset):
        return action_with_form(self, request, queryset, form_class=ShipmentForm, title="Mark plaques shipped",
                                apply=lambda data: self._advance(request, queryset, PlaqueStatus.SHIPPED,
                                                                 "marked shipped", **data))

    @admin.action(description="Mark selected plaques delivered")
    def mark_delivered(self, request, queryset):
        self._advance(request, queryset, PlaqueStatus.DELIVERED, "marked delivered")


# --- officer certifications ------------------------------------------------------------------------------------

class OfficerCertificationCycleInline(ReadOnlyInline):
    model = OfficerCertificationCycle
    fields = ("cycle_start", "cycle_end", "ce_hours", "granted_at", "granted_by")
    readonly_fields = fields


@admin.register(OfficerCertification)
class OfficerCertificationAdmin(ReadOnlyStatusAdmin):
    list_display = ("officer", "status", "cycle_start", "valid_until", "cycle_ce_hours", "revoked_at")
    list_filter = (ShortOfCeHoursFilter, "status")
    list_select_related = ("officer",)
    search_fields = ("officer__last_name", "officer__license_number")
    inlines = [OfficerCertificationCycleInline]
    actions = ["grant_again", "renew_selected"]

    def get_queryset(self, request):
        return officer_certifications_with_cycle_hours(super().get_queryset(request))

    @admin.display(description="CE hours this cycle", ordering="cycle_ce_hours")
    def cycle_ce_hours(self, obj):
        return obj.cycle_ce_hours

    @admin.action(description="Grant selected lapsed certifications again (CE hours and findings are checked)")
    def grant_again(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda c: services.officer_certification_grant(
            actor=request.user, officer=c.officer), "granted")

    @admin.action(description="Renew selected certifications for the next cycle")
    def renew_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda c: services.officer_certification_renew(
            actor=request.user, certification=c), "renewed")


# --- findings --------------------------------------------------------------------------------------------------

class FindingRecordForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ("officer", "agency", "incident_date", "summary", "evidence_references", "source")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].required = False
        self.fields["agency"].help_text = "Empty: the officer's current agency."

    def clean_incident_date(self):
        value = self.cleaned_data["incident_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("The incident cannot be in the future.")
        return value


class DeterminationForm(forms.Form):
    determination = forms.ChoiceField(choices=[c for c in Determination.choices if c[0]])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                             help_text="The reasons for the determination (kept in the ledger).")


class FindingResponseInline(ReadOnlyInline):
    """Each party's answer side by side (staff see both; the agency never sees the officer's): the officer's own
    voice next to the employer's, for the determination."""

    model = FindingResponse
    fields = ("author_kind", "text", "received_at", "document_names")
    readonly_fields = fields
    verbose_name_plural = "answers (the officer's and the agency's, each kept separately)"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("documents").order_by("author_kind", "received_at")

    @admin.display(description="documents")
    def document_names(self, obj):
        # Names only: the files are served by the authenticated download endpoint, never as media links.
        return ", ".join(d.name for d in obj.documents.all()) or "—"


@admin.register(Finding)
class FindingAdmin(ServiceBackedAdmin):
    """Record through the add form (officer autocomplete); then the actions: send the notice, determine (after
    the response or once the window has closed), verify (a second staff member: the two-person rule)."""

    list_display = ("id", "officer", "agency", "incident_date", "status", "response_due_on", "determination",
                    "recorded_by", "determined_by", "verified_by")
    list_filter = (PastResponseDateFilter, "status", "determination", "source")
    list_select_related = ("officer", "agency", "recorded_by", "determined_by", "verified_by")
    search_fields = ("officer__last_name", "officer__license_number", "summary")
    actions = ["notice_selected", "determine_selected", "verify_selected"]
    add_fields = ("officer", "agency", "incident_date", "summary", "evidence_references", "source")
    autocomplete_fields = ("officer", "agency")
    inlines = [FindingResponseInline]

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    # Recording is allowed here (through finding_record); nothing is edited in place afterwards: the actions.
    def has_change_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = FindingRecordForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [f.name for f in self.model._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in self.model._meta.fields]

    def save_via_service(self, request, obj, form, change):
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

    @admin.action(description="Determine selected findings (after the response or the response date)")
    def determine_selected(self, request, queryset):
        queryset = queryset.select_related("officer")
        return action_with_form(self, request, queryset, form_class=DeterminationForm, title="Determine findings",
                                apply=lambda data: _run_each(
                                    self, request, queryset, lambda f: services.finding_determine(
                                        actor=request.user, finding=f, **data), "determined"))

    @admin.action(description="Verify selected sustained findings (two-person rule: not by who recorded or "
                              "determined them)")
    def verify_selected(self, request, queryset):
        _run_each(self, request, queryset.select_related("officer"), lambda f: services.finding_verify(
            actor=request.user, finding=f), "verified")


@admin.register(AgencyCertificationReminder)
class AgencyCertificationReminderAdmin(ReadOnlyStatusAdmin):
    list_display = ("certification", "days_before", "sent_at")
    list_select_related = ("certification", "certification__agency", "certification__programme")
