"""Admin: read-mostly. Statuses, tokens, responses and reports change only through the services — here the staff
actions approve or refuse a rater list and release a report; responses are not registered at all (they are
anonymous and only ever read as aggregates). Editing a report's narrative stays in the API (review endpoints)."""

from django import forms
from django.contrib import admin

from core.admin import ReadOnlyInline, ReadOnlyModelAdmin, action_with_form, run_each

from . import services
from .models import (
    Competency,
    Cycle,
    CycleStatus,
    Instrument,
    Invitation,
    Item,
    PipelineStep,
    Question,
    RatersStatus,
    ReadinessBand,
    Report,
)


class CompetencyInline(ReadOnlyInline):
    model = Competency
    extra = 0


class QuestionInline(ReadOnlyInline):
    model = Question
    extra = 0


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyModelAdmin):
    list_display = ("title", "key", "version", "frozen_at", "created_at")
    list_filter = ("key",)
    search_fields = ("title", "key")
    readonly_fields = ("frozen_at",)
    inlines = [CompetencyInline, QuestionInline]


@admin.register(Item)
class ItemAdmin(ReadOnlyModelAdmin):
    list_display = ("text", "competency", "position")
    list_select_related = ("competency__instrument",)
    list_filter = ("competency__key",)
    search_fields = ("text",)


class PipelineStepInline(ReadOnlyInline):
    model = PipelineStep
    extra = 0
    can_delete = False
    readonly_fields = ("name", "position", "started_at", "finished_at", "attempts")

    def has_add_permission(self, request, obj=None):
        return False


class InvitationInline(ReadOnlyInline):
    model = Invitation
    extra = 0
    can_delete = False
    fields = ("rater_name", "rater_email", "relationship", "sent_at", "submitted_at", "refused_at", "refusal_reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RatersWaitingFilter(admin.SimpleListFilter):
    title = "rater list"
    parameter_name = "raters_waiting"

    def lookups(self, request, model_admin):
        return (("yes", "Waiting for staff approval"),)

    def queryset(self, request, queryset):
        return queryset.filter(raters_status=RatersStatus.NEEDS_APPROVAL) if self.value() == "yes" else queryset


class RaterRefusalForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), min_length=10, max_length=2000,
                             help_text="The sponsor reads this reason.")


@admin.register(Cycle)
class CycleAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "subject", "agency", "target_position", "status", "raters_status", "opens_at", "closes_at")
    list_filter = (RatersWaitingFilter, "status", "raters_status", "agency")
    list_select_related = ("subject", "agency")
    search_fields = ("subject__last_name", "subject__first_name", "target_position")
    # The rater review goes through the services (compare-and-swap on the list version, audited): the actions.
    readonly_fields = ("status", "subject", "agency", "instrument", "follow_up_of", "created_by", "opened_at",
                       "closed_at", "report_ready_at", "released_at", "raters_status", "raters_version",
                       "raters_reviewed_by", "raters_reviewed_at", "raters_refusal_reason")
    inlines = [InvitationInline, PipelineStepInline]
    actions = ["approve_raters", "refuse_raters"]

    @admin.action(description="Approve the rater lists of selected cycles (as shown now)")
    def approve_raters(self, request, queryset):
        run_each(self, request, queryset.select_related("subject"), lambda c: services.raters_approve(
            cycle=c, actor=request.user, version=c.raters_version), "rater lists approved")

    @admin.action(description="Refuse the rater lists of selected draft cycles (with a reason)")
    def refuse_raters(self, request, queryset):
        queryset = queryset.select_related("subject")
        return action_with_form(self, request, queryset, form_class=RaterRefusalForm, title="Refuse rater lists",
                                apply=lambda data: run_each(self, request, queryset, lambda c: services.raters_refuse(
                                    cycle=c, actor=request.user, reason=data["reason"], version=c.raters_version),
                                    "rater lists refused"))


class ReportWaitingFilter(admin.SimpleListFilter):
    title = "release"
    parameter_name = "waiting_for_release"

    def lookups(self, request, model_admin):
        return (("yes", "Waiting for release"),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(released_at__isnull=True, cycle__status=CycleStatus.REPORT_READY)
        return queryset


class ReleaseForm(forms.Form):
    band = forms.ChoiceField(choices=[("", "Keep the computed band"), *ReadinessBand.choices], required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000,
                             help_text="Required (10 characters or more) when the band differs from the computed one.")


@admin.register(Report)
class ReportAdmin(ReadOnlyModelAdmin):
    list_display = ("cycle", "subject", "band_computed", "band_final", "summariser", "released_by", "released_at")
    list_filter = (ReportWaitingFilter, "band_computed", "summariser")
    list_select_related = ("cycle__subject", "released_by")
    exclude = ("pdf",)
    readonly_fields = [f.name for f in Report._meta.fields if f.name != "pdf"]
    actions = ["release_selected"]

    @admin.display(description="subject", ordering="cycle__subject__last_name")
    def subject(self, obj):
        return obj.cycle.subject

    @admin.action(description="Release selected reports (signed by you; the sponsor receives them)")
    def release_selected(self, request, queryset):
        queryset = queryset.select_related("cycle")
        return action_with_form(self, request, queryset, form_class=ReleaseForm, title="Release reports",
                                apply=lambda data: run_each(self, request, queryset, lambda r: services.report_release(
                                    cycle=r.cycle, actor=request.user, band=data["band"] or None,
                                    reason=data["reason"]), "released"))
