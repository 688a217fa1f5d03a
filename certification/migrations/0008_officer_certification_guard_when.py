from django.db import migrations

# The guard of 0002 ran its PL/pgSQL function for every row of every write, so the daily sweep that lapses a
# million certifications called it a million times to learn that 'active' -> 'lapsed' breaks no rule (about half of
# the sweep's time in `make bench`). The same function now sits behind three triggers whose WHEN clauses — evaluated
# by the executor without entering PL/pgSQL — pass it only the rows that can break a rule:
#   * INSERT of an 'active' row (the permanent-ineligibility check);
#   * UPDATE to 'active' (the same check) or of a 'revoked' row (revocation is final: no status change, no move);
#   * DELETE of a 'revoked' row.
# Every other row skips it: a lapse, a revocation itself, any write to a lapsed row that stays lapsed. (A renewal
# still reaches it: the row stays 'active'.) The rules are unchanged; tests/certification pin each one.
SPLIT_SQL = """
DROP TRIGGER IF EXISTS certification_officer_certification_guard ON certification_officercertification;
CREATE TRIGGER certification_officer_certification_guard_insert
    BEFORE INSERT ON certification_officercertification
    FOR EACH ROW WHEN (NEW.status = 'active')
    EXECUTE FUNCTION certification_officer_certification_guard();
CREATE TRIGGER certification_officer_certification_guard_update
    BEFORE UPDATE ON certification_officercertification
    FOR EACH ROW WHEN (NEW.status = 'active' OR OLD.status = 'revoked')
    EXECUTE FUNCTION certification_officer_certification_guard();
CREATE TRIGGER certification_officer_certification_guard_delete
    BEFORE DELETE ON certification_officercertification
    FOR EACH ROW WHEN (OLD.status = 'revoked')
    EXECUTE FUNCTION certification_officer_certification_guard();
"""
UNSPLIT_SQL = """
DROP TRIGGER IF EXISTS certification_officer_certification_guard_insert ON certification_officercertification;
DROP TRIGGER IF EXISTS certification_officer_certification_guard_update ON certification_officercertification;
DROP TRIGGER IF EXISTS certification_officer_certification_guard_delete ON certification_officercertification;
CREATE TRIGGER certification_officer_certification_guard
    BEFORE INSERT OR UPDATE OR DELETE ON certification_officercertification
    FOR EACH ROW EXECUTE FUNCTION certification_officer_certification_guard();
"""


def split(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SPLIT_SQL, params=None)


def unsplit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNSPLIT_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("certification", "0007_finding_responses")]
    operations = [migrations.RunPython(split, unsplit)]
