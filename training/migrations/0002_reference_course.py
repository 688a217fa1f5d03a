"""Reference data: the Peace Officer course (PO-101) ships with the code, so a production database built from
migrations alone can train officers and certify agencies without the demo data.

Idempotent: an existing PO-101 (e.g. created earlier by the demo loader, or edited by staff) is left as it is.
The reverse is a no-op on purpose: once the course exists, sessions, completions and the certification programme's
trained-share requirement refer to it (PROTECT), and staff may have edited it; un-applying this migration must not
delete real training records. Rolling back further (0001) drops the table anyway.
"""

from decimal import Decimal

from django.db import migrations

PEACE_OFFICER_COURSE = {
    "code": "PO-101",
    "title": "Peace Officer: Realizing the True Purpose of Policing",
    "description": "Community engagement, de-escalation, cultural competency, procedural justice and leadership: "
                   "what policing is for, and how officers make peace their daily practice.",
    "ce_hours": Decimal("8"),
    "offered_in_person": True,
    "offered_virtual": True,
    "kind": "standard",
    "is_active": True,
}


def course_ensure(apps, schema_editor):
    Course = apps.get_model("training", "Course")
    fields = dict(PEACE_OFFICER_COURSE)
    Course.objects.using(schema_editor.connection.alias).get_or_create(code=fields.pop("code"), defaults=fields)


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(course_ensure, migrations.RunPython.noop, elidable=False),
    ]
