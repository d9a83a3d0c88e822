"""System reasons as codes (community.reasons): the fields, and posts held by the
pre-moderation rule get their code. Moderation's own reasons are converted by moderation's
0002."""

from django.db import migrations, models

from community.migrations._reason_matching import ReasonMatcher, source_text

PREMODERATED_EN = "Pre-moderated category: posts of new members are reviewed first."
PREMODERATED_FR = (
    "Catégorie prémodérée\u00a0: les messages des nouveaux membres sont d’abord validés."
)
BATCH = 500


def premoderated_to_code(apps, schema_editor):
    Post = apps.get_model("community", "Post")
    matcher = ReasonMatcher([("premoderated", [PREMODERATED_EN, PREMODERATED_FR])])
    batch = []
    rows = (
        Post.objects.filter(state_reason_code="")
        .exclude(state_reason="")
        .only("pk", "state_reason")
        .iterator(chunk_size=BATCH)
    )
    for post in rows:
        found = matcher.match(post.state_reason)
        if found is None:
            continue
        code, params, _detail = found
        post.state_reason_code = code
        post.state_reason_params = params
        post.state_reason = source_text(PREMODERATED_EN, params)
        batch.append(post)
        if len(batch) >= BATCH:
            Post.objects.bulk_update(
                batch, ["state_reason", "state_reason_code", "state_reason_params"]
            )
            batch = []
    if batch:
        Post.objects.bulk_update(batch, ["state_reason", "state_reason_code", "state_reason_params"])


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
