"""Admin: read-mostly. Statuses, tokens, responses and reports change only through the services; responses are not
registered at all (they are anonymous and only ever read as aggregates)."""

from django.contrib import admin

from core.admin import ReadOnlyInline, ReadOnlyModelAdmin

from .models import Competency, Cycle, Instrument, Invitation, Item, PipelineStep, Question, Report


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


@admin.register(Cycle)
class CycleAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "subject", "agency", "target_position", "status", "opens_at", "closes_at")
    list_filter = ("status", "agency")
    list_select_related = ("subject", "agency")
    search_fields = ("subject__last_name", "subject__first_name", "target_position")
    # The rater review goes through the API's services (compare-and-swap on the list version, audited): read-only.
    readonly_fields = ("status", "subject", "agency", "instrument", "follow_up_of", "created_by", "opened_at",
                       "closed_at", "report_ready_at", "released_at", "raters_status", "raters_version",
                       "raters_reviewed_by", "raters_reviewed_at", "raters_refusal_reason")
    inlines = [InvitationInline, PipelineStepInline]


@admin.register(Report)
class ReportAdmin(ReadOnlyModelAdmin):
    list_display = ("cycle", "band_computed", "band_final", "summariser", "released_by", "released_at")
    list_filter = ("band_computed", "summariser")
    list_select_related = ("cycle__subject", "released_by")
    exclude = ("pdf",)
    readonly_fields = [f.name for f in Report._meta.fields if f.name != "pdf"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
