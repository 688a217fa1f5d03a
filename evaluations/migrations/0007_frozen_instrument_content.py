from django.db import migrations

# An instrument in use is frozen (`frozen_at`): the reports already written read its items, so its competencies,
# items and questions cannot change for any client (the API makes a new version instead; the admin is read-only).
# PostgreSQL refuses INSERT, UPDATE and DELETE; SQLite refuses INSERT and UPDATE (a DELETE guard there would stop a
# test database's flush, which empties tables in no fixed order, and no service or screen deletes content).
PG_SQL = """
CREATE OR REPLACE FUNCTION evaluations_instrument_content_frozen() RETURNS trigger AS $$
DECLARE
    row_instrument bigint;
    old_instrument bigint;
BEGIN
    IF TG_TABLE_NAME = 'evaluations_item' THEN
        IF TG_OP <> 'DELETE' THEN
            SELECT instrument_id INTO row_instrument FROM evaluations_competency WHERE id = NEW.competency_id;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            SELECT instrument_id INTO old_instrument FROM evaluations_competency WHERE id = OLD.competency_id;
        END IF;
    ELSE
        IF TG_OP <> 'DELETE' THEN row_instrument := NEW.instrument_id; END IF;
        IF TG_OP <> 'INSERT' THEN old_instrument := OLD.instrument_id; END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM evaluations_instrument WHERE id IN (row_instrument, old_instrument)
               AND frozen_at IS NOT NULL) THEN
        RAISE EXCEPTION 'this instrument is in use and frozen; edit it to make a new version'
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_competency_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_competency
    FOR EACH ROW EXECUTE FUNCTION evaluations_instrument_content_frozen();
CREATE TRIGGER evaluations_item_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_item
    FOR EACH ROW EXECUTE FUNCTION evaluations_instrument_content_frozen();
CREATE TRIGGER evaluations_question_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_question
    FOR EACH ROW EXECUTE FUNCTION evaluations_instrument_content_frozen();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS evaluations_competency_frozen ON evaluations_competency;
DROP TRIGGER IF EXISTS evaluations_item_frozen ON evaluations_item;
DROP TRIGGER IF EXISTS evaluations_question_frozen ON evaluations_question;
DROP FUNCTION IF EXISTS evaluations_instrument_content_frozen();
"""
_FROZEN = "SELECT 1 FROM evaluations_instrument WHERE frozen_at IS NOT NULL AND id IN ({ids})"
_RAISE = "BEGIN SELECT RAISE(ABORT, 'this instrument is in use and frozen; edit it to make a new version'); END"
_ITEM_INSTRUMENT = "(SELECT instrument_id FROM evaluations_competency WHERE id = {row}.competency_id)"
SQLITE_TRIGGERS = {
    "evaluations_competency_frozen_insert": ("BEFORE INSERT ON evaluations_competency", "NEW.instrument_id"),
    "evaluations_competency_frozen_update": ("BEFORE UPDATE ON evaluations_competency",
                                             "OLD.instrument_id, NEW.instrument_id"),
    "evaluations_question_frozen_insert": ("BEFORE INSERT ON evaluations_question", "NEW.instrument_id"),
    "evaluations_question_frozen_update": ("BEFORE UPDATE ON evaluations_question",
                                           "OLD.instrument_id, NEW.instrument_id"),
    "evaluations_item_frozen_insert": ("BEFORE INSERT ON evaluations_item", _ITEM_INSTRUMENT.format(row="NEW")),
    "evaluations_item_frozen_update": ("BEFORE UPDATE ON evaluations_item",
                                       f"{_ITEM_INSTRUMENT.format(row='OLD')}, {_ITEM_INSTRUMENT.format(row='NEW')}"),
}


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_SQL, params=None)
    elif vendor == "sqlite":
        for name, (when, ids) in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {when} WHEN EXISTS ({_FROZEN.format(ids=ids)}) {_RAISE}",
                                  params=None)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("evaluations", "0006_cycle_anonymity_floor"),
    ]

    operations = [
        migrations.RunPython(guard, unguard),
    ]
