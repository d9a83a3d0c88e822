"""System reasons as codes (community.reasons, moderation.reasons): the fields, and the
reasons already stored as text — in English or French, whichever was active when they were
written — get their code, so each reader sees them in their own language.

Text fields of posts, revisions, review items and sanctions are rewritten in the source
language, as new rows have them; the audit log is append-only: its entries keep the text as
written and only gain the code."""

from django.db import migrations, models

from community.migrations._reason_matching import ReasonMatcher, convert_rows

# code: (English msgid, its French translation when this migration was written)
REASONS = {
    "premoderated": (
        "Pre-moderated category: posts of new members are reviewed first.",
        "Catégorie prémodérée\u00a0: les messages des nouveaux membres sont d’abord validés.",
    ),
    "hidden_by_flags": (
        "Hidden by the community's flags, pending review.",
        "Masqué par les signalements de la communauté, en attente d’examen.",
    ),
    "watched_word_hold": (
        "Held for review: it contains a watched word.",
        "Retenu pour validation\u00a0: il contient un mot surveillé.",
    ),
    "watched_word_flag": (
        "Contains a watched word: “%(word)s”.",
        "Contient un mot surveillé\u00a0: «\u00a0%(word)s\u00a0».",
    ),
    "watched_word_replaced": (
        "Watched word replaced.",
        "Mot surveillé remplacé.",
    ),
    "spam_links": (
        "Held for review: new members' posts with more than %(max)d links are checked.",
        "Retenu pour validation\u00a0: les messages des nouveaux membres contenant plus de "
        "%(max)d liens sont vérifiés.",
    ),
    "spam_duplicate": (
        "Held for review: the same text was posted %(count)d times.",
        "Retenu pour validation\u00a0: le même texte a été publié %(count)d fois.",
    ),
    "probation": (
        "Held for review: your posts are reviewed during your probation.",
        "Retenu pour validation\u00a0: vos messages sont validés pendant votre période probatoire.",
    ),
    "author_edited_hidden": (
        "The author edited the hidden post.",
        "L’auteur a modifié le message masqué.",
    ),
    "escalated": (
        "Waiting for more than %(hours)d hours.",
        "En attente depuis plus de %(hours)d heures.",
    ),
    "auto_silence": (
        "Silenced automatically: %(count)d of your posts were hidden by the community's "
        "flags within a day. A moderator will review them.",
        "Réduit au silence automatiquement\u00a0: %(count)d de vos messages ont été masqués "
        "par les signalements de la communauté en moins d’une journée. Un modérateur va les "
        "examiner.",
    ),
    "appeal_granted": (
        "Appeal granted.",
        "Appel accepté.",
    ),
}
# Where each kind of row may hold which reasons.
POST_STATE = [
    "hidden_by_flags",
    "watched_word_hold",
    "spam_links",
    "spam_duplicate",
    "probation",
    "premoderated",
]
HELD = [*POST_STATE, "watched_word_flag"]


def _matcher(codes, *, with_detail=False):
    return ReasonMatcher([(code, REASONS[code]) for code in codes], with_detail=with_detail)


def _convert(model, **kwargs):
    convert_rows(model, sources={code: texts[0] for code, texts in REASONS.items()}, **kwargs)


def reasons_to_codes(apps, schema_editor):
    get = apps.get_model
    _convert(
        get("community", "Post"),
        text="state_reason",
        code="state_reason_code",
        params="state_reason_params",
        matcher=_matcher(POST_STATE),
    )
    _convert(
        get("community", "PostRevision"),
        text="note",
        code="note_code",
        params="note_params",
        matcher=_matcher(["watched_word_replaced"]),
    )
    _convert(
        get("moderation", "ReviewItem"),
        text="held_reason",
        code="held_reason_code",
        params="held_reason_params",
        matcher=_matcher(HELD),
    )
    _convert(
        get("moderation", "Sanction"),
        text="reason",
        code="reason_code",
        params="reason_params",
        matcher=_matcher(["auto_silence"]),
    )
    _convert(
        get("moderation", "Sanction"),
        text="lifted_reason",
        code="lifted_reason_code",
        params="lifted_reason_params",
        matcher=_matcher(["appeal_granted"]),
    )
    # A hold's audit entry has a technical detail after the reason ("“word” (rule 3)");
    # other entries are converted only when their text is exactly a reason.
    audit = {
        "text": "reason",
        "code": "reason_code",
        "params": "reason_params",
        "rewrite": False,
    }
    _convert(
        get("moderation", "AuditEntry"),
        matcher=_matcher(HELD, with_detail=True),
        where={"action": "content.hold"},
        **audit,
    )
    _convert(
        get("moderation", "AuditEntry"),
        matcher=_matcher(list(REASONS)),
        unless={"action": "content.hold"},
        **audit,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0005_system_reason_codes"),
        ("moderation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewitem",
            name="held_reason_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="held_reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="sanction",
            name="reason_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="sanction",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="sanction",
            name="lifted_reason_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="sanction",
            name="lifted_reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="reason_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(reasons_to_codes, migrations.RunPython.noop),
    ]
