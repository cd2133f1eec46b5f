"""Member search by name indexed on PostgreSQL: the pg_trgm extension and a trigram (GIN) index on each expression
the members search compares (``server/search_text.py``). Nothing on SQLite, which scans.

Creating the extension needs a superuser (or a role allowed to create it); if the app's role cannot, a superuser
runs ``CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`` in the app's database first (docs/architecture.md,
"Member search"). The indexes are written with the expressions as ``server/models/people.py`` builds them, constants
inline, so the planner matches the search's expressions to them.

Revision ID: 0020_member_search
Revises: 0019_movement_copies
Create Date: 2026-12-05 03:00:00

"""

from alembic import op

revision = "0020_member_search"
down_revision = "0019_movement_copies"
branch_labels = None
depends_on = None

ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿ"
PLAIN = "aaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooouuuuuuuuyyy"
INDEXES = {
    "ix_households_search_first_last": f"translate(lower((first_name || ' ') || last_name), '{ACCENTED}', '{PLAIN}')",
    "ix_households_search_last_first": f"translate(lower((last_name || ' ') || first_name), '{ACCENTED}', '{PLAIN}')",
    "ix_households_search_email": "email",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    for name, expression in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON households USING gin ({expression} public.gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # the extension stays: other databases objects may use it, and dropping it needs the rights creating it did
