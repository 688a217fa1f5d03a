"""Staff console: programmes and their checklists (imported by certification/admin.py). A programme is added through
`certification_programme_create`; checklist items are added, edited and retired through the requirement services
(with their ledger entries), including the courses a trained-share item counts."""

from django import forms
from django.contrib import admin

from core.admin import ReadOnlyInline, ServiceBackedAdmin

from . import services
from .models import CertificationProgramme, ProgrammeRequirement
from .services.programmes import REQUIREMENT_EDITABLE_FIELDS


class ProgrammeRequirementInline(ReadOnlyInline):
    model = ProgrammeRequirement
    fields = ("position", "code", "title", "kind", "computed_rule", "is_active")
    readonly_fields = fields
    show_change_link = True  # edit an item on its own page (through the service)
    verbose_name_plural = "checklist (add items under Programme requirements)"


@admin.register(CertificationProgramme)
class CertificationProgrammeAdmin(ServiceBackedAdmin):
    list_display = ("name", "code", "is_active")
    search_fields = ("name", "code")
    inlines = [ProgrammeRequirementInline]

    def has_change_permission(self, request, obj=None):
        return False  # a programme's name and code do not change once applications name it

    def get_fields(self, request, obj=None):
        return ("code", "name", "description") if obj is None else ("code", "name", "description", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "name", "description", "is_active")

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        obj.pk = services.certification_programme_create(actor=request.user, code=data["code"], name=data["name"],
                                                         description=data.get("description") or "").pk


class RequirementForm(forms.ModelForm):
    class Meta:
        model = ProgrammeRequirement
        fields = ("programme", "code", "title", "description", "kind", "computed_rule", "position", "is_active",
                  "courses")

    def _post_clean(self):
        pass  # the requirement services validate the item (and its courses) and name the field that is wrong


@admin.register(ProgrammeRequirement)
class ProgrammeRequirementAdmin(ServiceBackedAdmin):
    list_display = ("programme", "position", "code", "title", "kind", "is_active")
    list_filter = ("programme", "kind", "is_active")
    list_select_related = ("programme",)
    search_fields = ("code", "title")
    form = RequirementForm
    filter_horizontal = ("courses",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return RequirementForm.Meta.fields
        return ("programme", "code", "kind", "computed_rule", *REQUIREMENT_EDITABLE_FIELDS, "courses")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("programme", "code", "kind", "computed_rule")

    def save_via_service(self, request, obj, form, change):
        data = form.cleaned_data
        course_ids = [course.pk for course in data.get("courses") or ()]
        if change:
            updates = {f: data[f] for f in REQUIREMENT_EDITABLE_FIELDS if f in form.changed_data}
            if "courses" in form.changed_data:
                updates["courses"] = course_ids
            services.programme_requirement_update(actor=request.user, data=updates,
                                                  requirement=ProgrammeRequirement.objects.get(pk=obj.pk))
        else:
            self.adopt(obj, services.programme_requirement_create(
                actor=request.user, programme=data["programme"], code=data["code"], title=data["title"],
                kind=data["kind"], description=data.get("description") or "",
                computed_rule=data.get("computed_rule") or "", position=data.get("position") or None,
                courses=course_ids))

    def save_related(self, request, form, formsets, change):
        pass  # the courses were set by the service (a direct save_m2m would skip its rule and ledger entry)
