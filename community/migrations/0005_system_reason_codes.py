"""System reasons as codes (community.reasons): the fields, and posts held by the
pre-moderation rule get their code. Moderation's own reasons are converted by moderation's
0002."""

from django.db import migrations, models

from community.migrations._reason_matching import ReasonMatcher, convert_rows

PREMODERATED_EN = "Pre-moderated category: posts of new members are reviewed first."
PREMODERATED_FR = (
    "Catégorie prémodérée\u00a0: les messages des nouveaux membres sont d’abord validés."
)


def premoderated_to_code(apps, schema_editor):
    convert_rows(
        apps.get_model("community", "Post"),
        text="state_reason",
        code="state_reason_code",
        params="state_reason_params",
        matcher=ReasonMatcher([("premoderated", [PREMODERATED_EN, PREMODERATED_FR])]),
        sources={"premoderated": PREMODERATED_EN},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_vote_created_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="state_reason_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="post",
            name="state_reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="postrevision",
            name="note_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="postrevision",
            name="note_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(premoderated_to_code, migrations.RunPython.noop),
    ]
