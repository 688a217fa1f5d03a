"""Staff screens for people and agencies. Every change goes through the same services as the API (with its audit
entry); identity fields of an existing officer, permanent ineligibility, licence and employment history are
read-only here — identity is corrected with a reason through the API, and ineligibility is never cleared."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied

from core.admin import (
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    ServiceBackedAdmin,
    action_with_form,
    is_certification_staff,
    run_each,
)
from core.exceptions import ApplicationError

from . import services
from .models import Agency, EmploymentRecord, IdentityReview, IdentityReviewStatus, Officer, OfficerLicense, Role, User


class AccountInviteForm(forms.ModelForm):
    """A new account: its role (an agency administrator of one agency, an officer linked to their record, a coach,
    staff); the person sets their own password through the e-mailed one-time link. Instructors are created under
    Training › Instructor accounts (linked to their officer record)."""

    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name", "role", "agency", "officer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["username"].required = False
        self.fields["username"].help_text = "Leave empty to use the e-mail address."
        self.fields["role"].choices = [(r.value, r.label) for r in Role
                                       if r in services.ACCOUNT_ROLES and r != Role.INSTRUCTOR]

    def _post_clean(self):
        pass  # the service validates the whole account (and says which field is wrong)


@admin.register(User)
class UserAdmin(ServiceBackedAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "role", "agency", "is_active", "is_superuser")
    list_filter = ("role", "is_active", "is_superuser")
    list_select_related = ("agency",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("PeaceCert", {"fields": ("role", "agency", "session_version")}),
    )
    add_form = AccountInviteForm
    add_fieldsets = ((None, {"fields": AccountInviteForm.Meta.fields,
                             "description": "The person receives an e-mail with a one-time link to set a password."}),)
    autocomplete_fields = ("agency", "officer")
    actions = ["deactivate_selected", "reactivate_selected"]

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its password included) is changed by a superuser only: staff changing it could
        # take it over and so grant themselves what they may not grant.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return is_certification_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the audit trail keeps naming the account (ServiceBackedAdmin agrees)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out superuser rights or model permissions; staff manage roles.
        # `is_staff` (entry to the console) follows the role: user_save sets it.
        fixed = ["session_version", "last_login", "date_joined", "is_staff"]
        if not request.user.is_superuser:
            fixed += ["is_superuser", "groups", "user_permissions"]
        return fixed

    def save_via_service(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            created = services.account_create(actor=request.user, **{f: data.get(f) or "" for f in (
                "role", "email", "username", "first_name", "last_name")}, agency=data.get("agency"),
                officer=data.get("officer"))
            obj.pk, obj.username = created.pk, created.username
            return
        services.user_save(user=obj, actor=request.user, created=not change,
                           changed=[f for f in form.changed_data if f not in ("password", "password1", "password2")],
                           password_changed=bool({"password1", "password2", "password"} & set(form.changed_data)))


    def user_change_password(self, request, id, form_url=""):
        # Django's screen would set the password directly (no audit entry); staff send the person to the one-time
        # link instead (the invitation, or "forgot password"). A superuser keeps Django's screen for emergencies.
        if not request.user.is_superuser:
            raise PermissionDenied("Passwords are set by their owner through the e-mailed one-time link.")
        return super().user_change_password(request, id, form_url)

    def _set_active(self, request, user, is_active):
        if user.is_superuser and not request.user.is_superuser:
            raise ApplicationError("permission_denied", "Only a superuser changes a superuser's account.",
                                   status_code=403)
        return services.account_set_active(actor=request.user, user=user, is_active=is_active)

    @admin.action(description="Deactivate selected accounts (every session ends)")
    def deactivate_selected(self, request, queryset):
        run_each(self, request, queryset, lambda u: self._set_active(request, u, False), "deactivated")

    @admin.action(description="Reactivate selected accounts")
    def reactivate_selected(self, request, queryset):
        run_each(self, request, queryset, lambda u: self._set_active(request, u, True), "reactivated")


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


class IdentityDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(s.value, s.label) for s in IdentityReviewStatus
                                          if s != IdentityReviewStatus.PENDING])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


@admin.register(IdentityReview)
class IdentityReviewAdmin(ReadOnlyModelAdmin):
    """The staff queue of records that look like a permanently ineligible person (licence conflicts). "Status:
    Waiting for staff" lists what needs a decision; the action decides through identity_review_decide (linked,
    cleared or dismissed, with a reason), as POST /api/v1/identity-reviews/{id}/decide/ does."""

    list_display = ("id", "status", "agency", "matched_officer", "state", "license_number", "source", "requested_at")
    list_filter = ("status", "source")
    list_select_related = ("agency", "matched_officer")
    actions = ["decide_selected"]

    @admin.action(description="Decide selected reviews (same person, different person, or dismiss)")
    def decide_selected(self, request, queryset):
        queryset = queryset.select_related("agency", "matched_officer")
        return action_with_form(self, request, queryset, form_class=IdentityDecisionForm, title="Decide reviews",
                                apply=lambda data: run_each(self, request, queryset, lambda r: services.
                                                            identity_review_decide(review=r, actor=request.user,
                                                                                   **data), "decided"))
