from django.db import migrations

# The history row the insert trigger writes for each new officer said "database / record created", and the roster
# import then rewrote who and why with a second statement: an UPDATE of every row it had just inserted, each passing
# through the history guard (a 100k-row roster: 100k more row versions and trigger calls, ~20% of the import in
# `make bench`). The trigger now reads who and why from two transaction-local settings when a writer has set them
# (`SELECT set_config('peacecert.license_recorded_by', ..., true)`), and says "database / record created" otherwise.
# Nothing else changes: a writer that sets nothing gets what it got before.
PG_HISTORY_INSERT = """
CREATE OR REPLACE FUNCTION agencies_officer_license_history_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO agencies_officerlicense (officer_id, state, license_number, held_from, held_until,
                                         recorded_in_error, recorded_by, reason)
    SELECT id, state, license_number, clock_timestamp(), NULL, false,
           coalesce(nullif(current_setting('peacecert.license_recorded_by', true), ''), 'database'),
           coalesce(nullif(current_setting('peacecert.license_reason', true), ''), 'record created')
    FROM inserted_officers;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
PG_HISTORY_INSERT_BEFORE = """
CREATE OR REPLACE FUNCTION agencies_officer_license_history_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO agencies_officerlicense (officer_id, state, license_number, held_from, held_until,
                                         recorded_in_error, recorded_by, reason)
    SELECT id, state, license_number, clock_timestamp(), NULL, false, 'database', 'record created'
    FROM inserted_officers;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_HISTORY_INSERT, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_HISTORY_INSERT_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0006_public_lookup_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
