"""The staff console's training screens. The catalogue (courses), session changes (time, place, capacity, cancel),
instructor accounts and qualifications save through training's services with their audit entries. Enrolments,
attendance and CE credits stay read-only here: they are the agencies' and instructors' work in the API, where the
waitlist, capacity and credit rules run."""

from django import forms
from django.contrib import admin

from core.admin import (
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    ServiceBackedAdmin,
    action_with_form,
    run_each,
)

from . import services
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
from .services.accounts import instructor_account_create
from .services.session_changes import SESSION_EDITABLE_FIELDS


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


COURSE_ADD_FIELDS = ("code", "title", "description", "ce_hours", "kind", "qualifies_for", "offered_in_person",
                     "offered_virtual", "is_active")


@admin.register(Course)
class CourseAdmin(ServiceBackedAdmin):
    list_display = ("code", "title", "ce_hours", "kind", "offered_in_person", "offered_virtual", "is_active")
    list_filter = ("kind", "is_active", "offered_in_person", "offered_virtual")
    search_fields = ("code", "title")
    list_select_related = ("qualifies_for",)
    inlines = [AccreditationInline, ToolkitResourceInline]

    def get_fields(self, request, obj=None):
        return COURSE_ADD_FIELDS if obj is None else ("code", "kind", "qualifies_for",
                                                      *services.COURSE_EDITABLE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "kind", "qualifies_for")

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.course_update(course=Course.objects.get(pk=obj.pk), actor=request.user,
                                   data={f: data[f] for f in services.COURSE_EDITABLE_FIELDS if f in data})
        else:
            obj.pk = services.course_create(actor=request.user, **{f: data.get(f) for f in COURSE_ADD_FIELDS}).pk


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


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="The enrolled officers' agencies receive it by e-mail.")


SESSION_ADD_FIELDS = ("course", "starts_at", "ends_at", "time_zone", "mode", "capacity", "location", "meeting_url")


@admin.register(TrainingSession)
class TrainingSessionAdmin(ServiceBackedAdmin):
    """Staff schedule a session (session_create; instructors are assigned through the API), change a scheduled
    session's time, place or capacity (session_update: the agencies are told, a larger capacity promotes the
    waitlist) and cancel it with a reason."""

    list_display = ("course", "starts_at", "time_zone", "mode", "location", "capacity", "status")
    list_filter = ("status", "mode", "course")
    list_select_related = ("course",)
    search_fields = ("course__code", "location")
    date_hierarchy = "starts_at"
    inlines = [SessionInstructorInline, EnrollmentInline]
    actions = ["cancel_selected"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "meeting_url":
            kwargs["assume_scheme"] = "https"  # a meeting link typed without its scheme is an https one
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return SESSION_ADD_FIELDS
        return ("course", "time_zone", "mode", "status", *SESSION_EDITABLE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("course", "time_zone", "mode", "status")

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            obj.pk = services.session_create(actor=request.user, **{f: data.get(f) for f in SESSION_ADD_FIELDS}).pk
            return
        services.session_update(session=TrainingSession.objects.get(pk=obj.pk), actor=request.user,
                                data={f: data[f] for f in SESSION_EDITABLE_FIELDS if f in form.changed_data})

    @admin.action(description="Cancel selected sessions (with a reason)")
    def cancel_selected(self, request, queryset):
        queryset = queryset.select_related("course")
        return action_with_form(self, request, queryset, form_class=CancelForm, title="Cancel sessions",
                                apply=lambda data: run_each(self, request, queryset, lambda t: services.session_cancel(
                                    session=t, reason=data["reason"], actor=request.user), "cancelled"))


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


class RevokeQualificationForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(InstructorQualification)
class InstructorQualificationAdmin(ServiceBackedAdmin):
    """Add = a staff designation (qualification_record: an active instructor account, an active course, no overlap);
    revoke ends it (the history of who could teach when is kept). Train-the-trainer qualifications come from
    completions, by the credit services."""

    list_display = ("course", "source", "user", "officer", "valid_from", "valid_until")
    list_filter = ("source", "course")
    list_select_related = ("course", "user", "officer")
    autocomplete_fields = ("course", "user", "officer")
    actions = ["revoke_selected"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("course", "user", "officer", "valid_from", "valid_until")
        return [f.name for f in self.model._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else [f.name for f in self.model._meta.fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["valid_from"].required = False
            form.base_fields["valid_from"].help_text = "Empty: today."
        return form

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        obj.pk = services.qualification_record(actor=request.user, course=data["course"], user=data.get("user"),
                                               officer=data.get("officer"), valid_from=data.get("valid_from"),
                                               valid_until=data.get("valid_until")).pk

    @admin.action(description="Revoke selected qualifications (with a reason)")
    def revoke_selected(self, request, queryset):
        queryset = queryset.select_related("course", "user")
        return action_with_form(self, request, queryset, form_class=RevokeQualificationForm,
                                title="Revoke qualifications",
                                apply=lambda data: run_each(self, request, queryset, lambda q: services.
                                                            qualification_revoke(actor=request.user, qualification=q,
                                                                                 reason=data["reason"]), "revoked"))


class InstructorInviteForm(forms.ModelForm):
    """An instructor's login, linked to their officer record; they set a password through the e-mailed link."""

    email = forms.EmailField()
    username = forms.CharField(required=False, help_text="Leave empty to use the e-mail address.")

    class Meta:
        model = InstructorAccount
        fields = ("officer",)

    def _post_clean(self):
        pass  # instructor_account_create validates the account and the link


@admin.register(InstructorAccount)
class InstructorAccountAdmin(ServiceBackedAdmin):
    list_display = ("user", "officer", "created_at")
    list_select_related = ("user", "officer")
    autocomplete_fields = ("officer",)
    form = InstructorInviteForm

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ("officer", "email", "username") if obj is None else ("user", "officer", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "officer", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        user = instructor_account_create(actor=request.user, officer=data["officer"], email=data["email"],
                                                  username=data.get("username") or "")
        account = InstructorAccount.objects.get(user=user)
        obj.pk, obj.user_id, obj.officer_id = account.pk, account.user_id, account.officer_id


@admin.register(CreditImport)
class CreditImportAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "created_at", "rows", "actor_label", "sha256")
    readonly_fields = ("sha256", "rows", "imported_by", "actor_label", "created_at")

    def has_add_permission(self, request):
        return False
