"""The campaign data revision and the triggers that move it (see `CampaignDataRevision`).

PostgreSQL gets statement-level triggers with transition tables: a row-level trigger would
update the same counter row once per inserted row, and within one transaction PostgreSQL keeps
every version of that row, so a bulk insert of 30,000 assignments would take seconds. SQLite has
only row-level triggers and updates the row in place.
"""

from django.db import migrations, models

REVISIONS = "ratings_campaigndatarevision"

# An assignment update moves the revision only when it can change a statistic: which campaign,
# unit or expert it belongs to, its status, or why it was skipped.
ASSIGNMENT_FIELDS = ("campaign_id", "unit_id", "expert_id", "status", "skip_reason")

POSTGRESQL_FORWARD = f"""
CREATE FUNCTION ratings_bump_campaign_revisions(campaign_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO {REVISIONS} (campaign_id, revision)
    SELECT DISTINCT id, 1 FROM unnest(campaign_ids) AS id WHERE id IS NOT NULL ORDER BY 1
    ON CONFLICT (campaign_id) DO UPDATE SET revision = {REVISIONS}.revision + 1;
$$;

CREATE FUNCTION ratings_assignment_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(SELECT campaign_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(SELECT campaign_id FROM old_rows));
    ELSE
        PERFORM ratings_bump_campaign_revisions(ARRAY(
            SELECT unnest(ARRAY[o.campaign_id, n.campaign_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE ({", ".join(f"o.{field}" for field in ASSIGNMENT_FIELDS)})
                IS DISTINCT FROM ({", ".join(f"n.{field}" for field in ASSIGNMENT_FIELDS)})
        ));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION ratings_rating_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(
            SELECT a.campaign_id FROM new_rows r
            JOIN ratings_assignment a ON a.id = r.assignment_id
        ));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(
            SELECT a.campaign_id FROM old_rows r
            JOIN ratings_assignment a ON a.id = r.assignment_id
        ));
    ELSE
        PERFORM ratings_bump_campaign_revisions(ARRAY(
            SELECT a.campaign_id
            FROM (SELECT assignment_id FROM old_rows UNION SELECT assignment_id FROM new_rows) r
            JOIN ratings_assignment a ON a.id = r.assignment_id
        ));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION ratings_unit_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(SELECT campaign_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ratings_bump_campaign_revisions(ARRAY(SELECT campaign_id FROM old_rows));
    ELSE
        PERFORM ratings_bump_campaign_revisions(ARRAY(
            SELECT campaign_id FROM old_rows UNION SELECT campaign_id FROM new_rows
        ));
    END IF;
    RETURN NULL;
END
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table}
REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
    for table, function in (
        ("ratings_assignment", "ratings_assignment_revision"),
        ("ratings_rating", "ratings_rating_revision"),
        ("ratings_unit", "ratings_unit_revision"),
    )
    for event, transition in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    )
)

POSTGRESQL_BACKWARD = """
DROP FUNCTION ratings_assignment_revision() CASCADE;
DROP FUNCTION ratings_rating_revision() CASCADE;
DROP FUNCTION ratings_unit_revision() CASCADE;
DROP FUNCTION ratings_bump_campaign_revisions(bigint[]);
"""


def _sqlite_bump(select: str) -> str:
    # The WHERE clause is always there: SQLite needs one before ON CONFLICT in INSERT ... SELECT.
    return (
        f"INSERT INTO {REVISIONS} (campaign_id, revision) {select} "
        "ON CONFLICT (campaign_id) DO UPDATE SET revision = revision + 1;"
    )


def _sqlite_trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
    condition = f" WHEN {when}" if when else ""
    statements = " ".join(body)
    return f"CREATE TRIGGER {name} AFTER {event} ON {table}{condition} BEGIN {statements} END;"


def _sqlite_triggers() -> list[str]:
    assignment_changed = " OR ".join(
        f"OLD.{field} IS NOT NEW.{field}" for field in ASSIGNMENT_FIELDS
    )
    campaign_of = "SELECT DISTINCT campaign_id, 1 FROM ratings_assignment WHERE id IN ({})"
    return [
        _sqlite_trigger(
            "ratings_assignment_revision_insert",
            "INSERT",
            "ratings_assignment",
            [_sqlite_bump("SELECT NEW.campaign_id, 1 WHERE true")],
        ),
        _sqlite_trigger(
            "ratings_assignment_revision_update",
            "UPDATE",
            "ratings_assignment",
            [
                _sqlite_bump("SELECT NEW.campaign_id, 1 WHERE true"),
                _sqlite_bump(
                    "SELECT OLD.campaign_id, 1 WHERE OLD.campaign_id IS NOT NEW.campaign_id"
                ),
            ],
            when=assignment_changed,
        ),
        _sqlite_trigger(
            "ratings_assignment_revision_delete",
            "DELETE",
            "ratings_assignment",
            [_sqlite_bump("SELECT OLD.campaign_id, 1 WHERE true")],
        ),
        _sqlite_trigger(
            "ratings_rating_revision_insert",
            "INSERT",
            "ratings_rating",
            [_sqlite_bump(campaign_of.format("NEW.assignment_id"))],
        ),
        _sqlite_trigger(
            "ratings_rating_revision_update",
            "UPDATE",
            "ratings_rating",
            [_sqlite_bump(campaign_of.format("OLD.assignment_id, NEW.assignment_id"))],
        ),
        _sqlite_trigger(
            "ratings_rating_revision_delete",
            "DELETE",
            "ratings_rating",
            [_sqlite_bump(campaign_of.format("OLD.assignment_id"))],
        ),
        _sqlite_trigger(
            "ratings_unit_revision_insert",
            "INSERT",
            "ratings_unit",
            [_sqlite_bump("SELECT NEW.campaign_id, 1 WHERE true")],
        ),
        _sqlite_trigger(
            "ratings_unit_revision_update",
            "UPDATE",
            "ratings_unit",
            [
                _sqlite_bump("SELECT NEW.campaign_id, 1 WHERE true"),
                _sqlite_bump(
                    "SELECT OLD.campaign_id, 1 WHERE OLD.campaign_id IS NOT NEW.campaign_id"
                ),
            ],
        ),
        _sqlite_trigger(
            "ratings_unit_revision_delete",
            "DELETE",
            "ratings_unit",
            [_sqlite_bump("SELECT OLD.campaign_id, 1 WHERE true")],
        ),
    ]


SQLITE_TRIGGER_NAMES = [
    f"ratings_{table}_revision_{event}"
    for table in ("assignment", "rating", "unit")
    for event in ("insert", "update", "delete")
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif vendor == "sqlite":
        for statement in _sqlite_triggers():
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"campaign data revision triggers are not written for {vendor}")
    # Campaigns that already hold data start from revision 1.
    Unit = apps.get_model("ratings", "Unit")
    CampaignDataRevision = apps.get_model("ratings", "CampaignDataRevision")
    CampaignDataRevision.objects.bulk_create(
        [
            CampaignDataRevision(campaign_id=campaign_id, revision=1)
            for campaign_id in Unit.objects.values_list("campaign_id", flat=True).distinct()
        ],
        ignore_conflicts=True,
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    else:
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignDataRevision",
            fields=[
                ("campaign_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
