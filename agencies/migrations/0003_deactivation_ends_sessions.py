from django.db import migrations

# Deactivating an account ends its sessions for good, whichever client does it (admin, service, raw SQL): the
# session version moves on, so the tokens' fingerprints never match again, even after reactivation.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION agencies_user_deactivation_ends_sessions() RETURNS trigger AS $$
BEGIN
    IF OLD.is_active AND NOT NEW.is_active AND NEW.session_version = OLD.session_version THEN
        NEW.session_version := OLD.session_version + 1;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agencies_user_deactivation_ends_sessions BEFORE UPDATE ON agencies_user
    FOR EACH ROW EXECUTE FUNCTION agencies_user_deactivation_ends_sessions();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS agencies_user_deactivation_ends_sessions ON agencies_user;
DROP FUNCTION IF EXISTS agencies_user_deactivation_ends_sessions();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_officer_permanent_ineligibility")]
    operations = [migrations.RunPython(forward, backward)]
