"""Reference data: the Peace Officer Agency Certification programme and its checklist ship with the code, and the
trained-share requirement names the course(s) it counts as data (`ProgrammeRequirement.courses`, set to the Peace
Officer course PO-101 from training 0002) instead of a course code in the source.

Idempotent: an existing programme (e.g. created earlier by the demo loader) keeps its rows and wording; only missing
checklist items are added, and a trained-share requirement without courses is given PO-101. The reverse of the data
step is a no-op on purpose: agency certifications and their checklists refer to these rows (PROTECT) and staff may
have edited them; un-applying must not delete certification records. The schema step (the courses table) reverses
normally.
"""

from django.db import migrations, models

PROGRAMME = {
    "code": "peace-officer-agency",
    "name": "Peace Officer Agency Certification",
    "description": "Certifies agencies that trained their officers in Peace Officer practice and adopted the "
                   "programme's policies. Valid two years.",
}
# (code, title, kind, computed rule): exactly the checklist the demo data created before this migration.
REQUIREMENTS = [
    ("commitment", "Agency head's signed commitment to the Peace Officer principles", "attestation", ""),
    ("trained_share", "Sworn officers who completed the Peace Officer course (settings.AGENCY_TRAINED_SHARE_PERCENT)",
     "computed", "trained_share"),
    ("promise_event", "Peace Officer Promise event held", "staff_verified", ""),
    ("symbol_programme", "Peace Officer symbol programme adopted", "staff_verified", ""),
    ("chokehold_ban", "Chokehold ban policy adopted", "staff_verified", ""),
    ("body_worn_camera", "Body-worn-camera policy adopted", "staff_verified", ""),
    ("policy_manual", "Use-of-force policy manual (current edition)", "document", ""),
]
TRAINED_SHARE_COURSE_CODE = "PO-101"


def programme_ensure(apps, schema_editor):
    db = schema_editor.connection.alias
    Programme = apps.get_model("certification", "CertificationProgramme")
    Requirement = apps.get_model("certification", "ProgrammeRequirement")
    Course = apps.get_model("training", "Course")
    fields = dict(PROGRAMME)
    programme, _ = Programme.objects.using(db).get_or_create(code=fields.pop("code"), defaults=fields)
    existing = set(Requirement.objects.using(db).filter(programme=programme).values_list("code", flat=True))
    for position, (code, title, kind, rule) in enumerate(REQUIREMENTS, start=1):
        if code not in existing:
            Requirement.objects.using(db).create(programme=programme, code=code, title=title, kind=kind,
                                                 computed_rule=rule, position=position)
    course = Course.objects.using(db).filter(code=TRAINED_SHARE_COURSE_CODE).first()
    if course is not None:  # training 0002 creates it; staff may have renamed its code since
        for requirement in Requirement.objects.using(db).filter(computed_rule="trained_share"):
            if not requirement.courses.exists():
                requirement.courses.add(course)


class Migration(migrations.Migration):

    dependencies = [
        ("certification", "0004_requirement_rejection_history"),
        ("training", "0002_reference_course"),
    ]

    operations = [
        migrations.AddField(
            model_name="programmerequirement",
            name="courses",
            field=models.ManyToManyField(
                blank=True, help_text="Trained-share rule: an officer counts after completing any of these.",
                related_name="programme_requirements", to="training.course"),
        ),
        migrations.RunPython(programme_ensure, migrations.RunPython.noop, elidable=False),
    ]
