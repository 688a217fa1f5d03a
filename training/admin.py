from django.contrib import admin

from core.admin import ReadOnlyInline, ReadOnlyModelAdmin

from .models import (
    Completion,
    Course,
    CourseStateAccreditation,
    CreditImport,
    Enrollment,
    InstructorAccount,
    InstructorQualification,
    SessionInstructor,
    ToolkitResource,
    TrainingSession,
)


class AccreditationInline(ReadOnlyInline):
    model = CourseStateAccreditation
    extra = 0


class ToolkitResourceInline(ReadOnlyInline):
    model = ToolkitResource
    extra = 0
    # Uploads go through the API, which checks size and type; the admin lists them.
    fields = ("title", "kind", "original_name", "content_type", "size_bytes", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "title", "ce_hours", "kind", "offered_in_person", "offered_virtual", "is_active")
    list_filter = ("kind", "is_active", "offered_in_person", "offered_virtual")
    search_fields = ("code", "title")
    list_select_related = ("qualifies_for",)
    inlines = [AccreditationInline, ToolkitResourceInline]


@admin.register(CourseStateAccreditation)
class CourseStateAccreditationAdmin(ReadOnlyModelAdmin):
    list_display = ("course", "state", "accepted", "hours_accepted", "state_course_number", "ncp_recognised")
    list_filter = ("state", "accepted", "ncp_recognised")
    search_fields = ("course__code", "state_course_number")
    list_select_related = ("course",)


class SessionInstructorInline(ReadOnlyInline):
    model = SessionInstructor
    extra = 0
    raw_id_fields = ("user",)


class EnrollmentInline(ReadOnlyInline):
    """The roster. Status changes only through the API's services (waitlist promotion, credits)."""

    model = Enrollment
    extra = 0
    fields = ("officer", "status", "created_at", "status_changed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyModelAdmin):
    list_display = ("course", "starts_at", "time_zone", "mode", "location", "capacity")
    list_filter = ("mode", "course")
    list_select_related = ("course",)
    search_fields = ("course__code", "location")
    date_hierarchy = "starts_at"
    inlines = [SessionInstructorInline, EnrollmentInline]


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyModelAdmin):
    list_display = ("officer", "session", "status", "created_at", "status_changed_at")
    list_filter = ("status",)
    list_select_related = ("officer", "session", "session__course")
    search_fields = ("officer__last_name", "officer__license_number")
    readonly_fields = ("session", "officer", "status", "enrolled_by", "created_at", "status_changed_at")

    def has_add_permission(self, request):
        return False


@admin.register(Completion)
class CompletionAdmin(ReadOnlyModelAdmin):
    """CE credits are awarded by services only; the admin shows them."""

    list_display = ("officer", "course", "completed_on", "ce_hours", "source", "verification_code")
    list_filter = ("source", "course")
    list_select_related = ("officer", "course")
    search_fields = ("officer__last_name", "officer__license_number", "verification_code")
    date_hierarchy = "completed_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InstructorQualification)
class InstructorQualificationAdmin(ReadOnlyModelAdmin):
    list_display = ("course", "source", "user", "officer", "valid_from", "valid_until")
    list_filter = ("source", "course")
    list_select_related = ("course", "user", "officer")
    raw_id_fields = ("user", "officer", "completion", "granted_by")


@admin.register(InstructorAccount)
class InstructorAccountAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "officer", "created_at")
    list_select_related = ("user", "officer")
    raw_id_fields = ("user", "officer")


@admin.register(CreditImport)
class CreditImportAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "created_at", "rows", "actor_label", "sha256")
    readonly_fields = ("sha256", "rows", "imported_by", "actor_label", "created_at")

    def has_add_permission(self, request):
        return False
