"""Full-text search over cards (quiz/search.py) and the deck page's counts.

SQLite: an external-content FTS5 table over quiz_card's question and answer,
kept in step by triggers, so every write path (save, bulk_create,
queryset.update, raw SQL) updates it. PostgreSQL: a stored generated
tsvector column, search_vector, with a GIN index: stored, so ranking many
matches reads each card's vector instead of parsing its text again. The model
does not declare it (the ORM never writes it); a later migration that changes
question's or answer's type must drop and re-add it. Both are filled from the
cards that exist now.
"""

from django.conf import settings
from django.db import migrations, models

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE quiz_card_fts USING fts5(question, answer, content='quiz_card', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER quiz_card_fts_insert AFTER INSERT ON quiz_card BEGIN "
    "INSERT INTO quiz_card_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer); END",
    "CREATE TRIGGER quiz_card_fts_delete AFTER DELETE ON quiz_card BEGIN "
    "INSERT INTO quiz_card_fts(quiz_card_fts, rowid, question, answer) VALUES ('delete', old.id, old.question, old.answer); END",
    "CREATE TRIGGER quiz_card_fts_update AFTER UPDATE OF question, answer ON quiz_card BEGIN "
    "INSERT INTO quiz_card_fts(quiz_card_fts, rowid, question, answer) VALUES ('delete', old.id, old.question, old.answer); "
    "INSERT INTO quiz_card_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer); END",
    "INSERT INTO quiz_card_fts(quiz_card_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS quiz_card_fts_insert",
    "DROP TRIGGER IF EXISTS quiz_card_fts_delete",
    "DROP TRIGGER IF EXISTS quiz_card_fts_update",
    "DROP TABLE IF EXISTS quiz_card_fts",
]
POSTGRESQL_CREATE = [
    "ALTER TABLE quiz_card ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, question || ' ' || answer)) STORED",
    "CREATE INDEX quiz_card_search ON quiz_card USING gin (search_vector)",
]
POSTGRESQL_DROP = ["DROP INDEX IF EXISTS quiz_card_search", "ALTER TABLE quiz_card DROP COLUMN IF EXISTS search_vector"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("quiz", "0007_study_sessions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
        migrations.AddIndex(
            model_name="cardprogress",
            index=models.Index(condition=models.Q(("suspended", True)), fields=["user", "card"], name="progress_user_suspended"),
        ),
        migrations.AddIndex(
            model_name="cardprogress",
            index=models.Index(condition=models.Q(("lapses__gte", 8)), fields=["user", "card"], name="progress_user_leech"),
        ),
    ]
