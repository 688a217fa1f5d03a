from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("certification", "0002_officer_certification_guard"),
    ]

    operations = [
        migrations.AddField(
            model_name="requirementstatus",
            name="document_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="requirementstatus",
            name="document_content_type",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
