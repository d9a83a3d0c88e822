"""The French catalogue stays complete: every message has a translation, none is fuzzy."""

from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    """Yield (msgid, msgstrs, flags) for each entry of a .po file (enough of the format)."""
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        current = None
        fields: dict[str, str] = {}
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                if current:
                    fields[current] += line[1:-1]
                continue
            key, _, value = line.partition(" ")
            current = key
            fields[key] = value[1:-1]
        if "msgid" in fields:
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields["msgid"], strs, flags


def test_french_catalogue_is_complete_and_not_fuzzy():
    entries = [e for e in _entries(CATALOGUE.read_text()) if e[0]]
    assert len(entries) > 50
    untranslated = [msgid for msgid, strs, _ in entries if not all(strs)]
    fuzzy = [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_is_loaded():
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext("Skip to content") == "Aller au contenu"
