from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("evaluations", "0004_rater_approval_and_held_answers"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="review",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
