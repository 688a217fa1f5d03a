from django.db import migrations

# Revocation is final and permanent ineligibility means what it says, for every client — the services, the admin,
# and a raw UPDATE or INSERT typed into psql. The trigger:
#   * refuses an INSERT or UPDATE that leaves a certification 'active' while its officer is permanently
#     ineligible. It reads the officer row FOR SHARE, so a grant racing the verification of a finding waits for
#     the verification to commit and then sees the mark (the verification marks the officer first, then revokes);
#   * makes 'revoked' terminal: a revoked row can be neither changed to another status, moved to another
#     officer, nor deleted (deleting it would free the one-per-officer slot for a fresh certification).
# SQLite (make run) relies on the services' checks alone.
GUARD_SQL = """
CREATE OR REPLACE FUNCTION certification_officer_certification_guard() RETURNS trigger AS $$
DECLARE
    ineligible_at timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'revoked' THEN
            RAISE EXCEPTION 'officer certification % is revoked; revocation is final', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'revoked'
            AND (NEW.status <> 'revoked' OR NEW.officer_id <> OLD.officer_id) THEN
        RAISE EXCEPTION 'officer certification % is revoked; revocation is final', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'active' THEN
        SELECT permanently_ineligible_at INTO ineligible_at FROM agencies_officer WHERE id = NEW.officer_id FOR SHARE;
        IF ineligible_at IS NOT NULL THEN
            RAISE EXCEPTION 'officer % is permanently ineligible; no active certification is allowed', NEW.officer_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER certification_officer_certification_guard
    BEFORE INSERT OR UPDATE OR DELETE ON certification_officercertification
    FOR EACH ROW EXECUTE FUNCTION certification_officer_certification_guard();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS certification_officer_certification_guard ON certification_officercertification;
DROP FUNCTION IF EXISTS certification_officer_certification_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_initial"), ("agencies", "0002_officer_permanent_ineligibility")]
    operations = [migrations.RunPython(guard, unguard)]
