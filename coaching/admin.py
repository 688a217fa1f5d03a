"""Staff console, coaching: read-only. Matches, agreements (both acceptances, activation, termination, outcomes) and
session logs are acted on by coaches, sponsors and staff through the API's services, where the capacity, conflict
and agreement-length rules run; here staff look things up. A coach's private notes are never shown."""

from django.contrib import admin

from core.admin import ReadOnlyInline, ReadOnlyModelAdmin

from .models import Agreement, Coachee, CoachingSession, CoachProfile, NeedPriority, NeedsAssessment


@admin.register(CoachProfile)
class CoachProfileAdmin(ReadOnlyModelAdmin):
    list_display = ("__str__", "highest_rank", "years_in_leadership", "former_agency_name", "capacity", "active")
    list_filter = ("active",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "former_agency_name")
    autocomplete_fields = ("user", "former_agency")


@admin.register(Coachee)
class CoacheeAdmin(ReadOnlyModelAdmin):
    list_display = ("last_name", "first_name", "coachee_type", "title", "agency")
    list_filter = ("coachee_type",)
    list_select_related = ("agency",)
    search_fields = ("last_name", "first_name", "agency__name")
    autocomplete_fields = ("agency", "officer")


class NeedPriorityInline(ReadOnlyInline):
    model = NeedPriority
    extra = 0


@admin.register(NeedsAssessment)
class NeedsAssessmentAdmin(ReadOnlyModelAdmin):
    list_display = ("coachee", "status", "remote_only", "created_at")
    list_filter = ("status", "remote_only")
    list_select_related = ("coachee",)
    search_fields = ("coachee__last_name", "coachee__first_name")
    # Status moves only through the services' transition function.
    readonly_fields = ("status", "prefilled_from_360_at", "created_by")
    autocomplete_fields = ("coachee", "conflicts")
    inlines = [NeedPriorityInline]


class CoachingSessionInline(ReadOnlyInline):
    model = CoachingSession
    extra = 0
    # The coach's private notes are theirs alone: not even staff read them here.
    fields = ("held_on", "duration_minutes", "topics")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "coach", "coachee", "sponsor_agency", "status", "start_date", "end_date")
    list_filter = ("status", "cadence")
    list_select_related = ("coach__user", "coachee", "sponsor_agency")
    search_fields = ("coachee__last_name", "coach__user__last_name", "sponsor_agency__name")
    readonly_fields = ("status", "coach_accepted_at", "sponsor_accepted_at", "sponsor_accepted_by", "activated_at",
                       "ended_at", "termination_reason", "coach_outcome_rating", "sponsor_outcome_rating",
                       "follow_up_cycle_id", "proposed_by")
    autocomplete_fields = ("coach", "coachee", "sponsor_agency", "needs_assessment")
    inlines = [CoachingSessionInline]


@admin.register(CoachingSession)
class CoachingSessionAdmin(ReadOnlyModelAdmin):
    list_display = ("agreement", "held_on", "duration_minutes")
    list_select_related = ("agreement__coach__user", "agreement__coachee")
    exclude = ("private_notes",)  # the coach's alone
    readonly_fields = ("agreement", "held_on", "duration_minutes", "topics")

    def has_add_permission(self, request):
        return False
