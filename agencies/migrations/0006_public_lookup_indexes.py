"""Indexes for the public registry at national scale (`make bench`'s scale section measures them).

The public officer search matches every name word and the agency name with `icontains`, which Django writes as
`UPPER("col"::text) LIKE UPPER('%…%')`: only a trigram GIN index on that same expression serves it (a btree serves
neither a leading wildcard nor a case-folded match). Licence lookups use the existing `license_key` indexes and the
eligibility check the unique (state, license_key) index; certificate verification the unique verification code.

PostgreSQL only, and only where pg_trgm can be installed (it is a trusted extension since PostgreSQL 13: the
database owner may create it); elsewhere, and on SQLite, this migration does nothing. The indexes are expressions,
not model fields, so they live here and not in the models' Meta.

`gin_pending_list_limit = 256` (kB, default 4 MB): GIN batches new entries in a pending list that every search
reads in full until (auto)vacuum merges it; after a 100k-row roster import a 4 MB list made a licence lookup at
100k officers cost 14 ms instead of 0.7 ms (585 buffers instead of 40). A small list keeps inserts batched and
bounds what a search pays.
"""

from django.db import migrations

INDEXES = [
    ("officer_first_name_trgm_idx", "agencies_officer", "UPPER((first_name)::text) gin_trgm_ops"),
    ("officer_last_name_trgm_idx", "agencies_officer", "UPPER((last_name)::text) gin_trgm_ops"),
    ("agency_name_trgm_idx", "agencies_agency", "UPPER((name)::text) gin_trgm_ops"),
]


# ANALYZE samples the indexed expression with this many histogram entries (default 100). With the default, the
# planner guessed 10 000 officers for a surname fragment that 1 769 had at 1M officers, and hash-joined a sequential
# scan of every officer (176 ms); with 1000 it guesses ~1 900 and walks the matches by primary key (19 ms).
EXPRESSION_STATISTICS = 1000


def _trigram_available(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    if cursor.fetchone() is None:
        return False
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if cursor.fetchone() is not None:
        return True
    try:
        cursor.execute("SAVEPOINT public_lookup_trgm")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("RELEASE SAVEPOINT public_lookup_trgm")
        return True
    except Exception:  # noqa: BLE001 - no privilege to create it: the registry still works, only slower at scale
        cursor.execute("ROLLBACK TO SAVEPOINT public_lookup_trgm")
        return False


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _trigram_available(cursor):
            return
        for name, table, expression in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression}) "
                           "WITH (gin_pending_list_limit = 256)")
            cursor.execute(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {EXPRESSION_STATISTICS}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _expression in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("agencies", "0005_officer_accounts")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
