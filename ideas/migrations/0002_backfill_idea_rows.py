"""Give every existing topic of kind "idea" its Idea row (topics created before this app)."""

from django.db import migrations


def backfill(apps, schema_editor):
    Topic = apps.get_model("community", "Topic")
    Idea = apps.get_model("ideas", "Idea")
    missing = Topic.objects.filter(kind="idea", idea__isnull=True).values_list("pk", "created_at")
    Idea.objects.bulk_create(
        [Idea(topic_id=pk, created_at=created) for pk, created in missing.iterator()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("ideas", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
