"""Recognising system reasons stored as text before they had codes (see community.reasons),
for the data migrations of community and moderation. Frozen with those migrations: the
migration loader skips modules whose name starts with "_".

A reason was stored translated into whatever language was active: the English msgid or its
French translation (from locale/fr at the time), with its parameters filled in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# French typography puts (narrow) no-break spaces before ":" and inside « »: any space matches.
_SPACE = "[ \u00a0\u202f]"
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(template: str, *, with_detail: bool) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(_literal(template[position : match.start()]))
        name, kind = match.groups()
        parts.append(f"(?P<{name}>\\d+)" if kind == "d" else f"(?P<{name}>.+?)")
        position = match.end()
    parts.append(_literal(template[position:]))
    tail = f"(?:{_SPACE}(?P<_detail>.+))?" if with_detail else ""
    return re.compile("^" + "".join(parts) + tail + "$", re.DOTALL)


def _literal(text: str) -> str:
    return "".join(_SPACE if char.isspace() else re.escape(char) for char in text)


class ReasonMatcher:
    """``match(text)`` → ``(code, params, detail)`` for a text that is one of the known
    reasons (in any of its languages), else None."""

    def __init__(
        self, reasons: Iterable[tuple[str, Sequence[str]]], *, with_detail: bool = False
    ) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        self._integers: dict[str, set[str]] = {}
        for code, templates in reasons:
            for template in templates:
                self._patterns.append((code, _pattern(template, with_detail=with_detail)))
                self._integers.setdefault(code, set()).update(
                    name for name, kind in _PLACEHOLDER.findall(template) if kind == "d"
                )

    def match(self, text: str) -> tuple[str, dict[str, Any], str] | None:
        text = (text or "").strip()
        if not text:
            return None
        for code, pattern in self._patterns:
            found = pattern.match(text)
            if found is None:
                continue
            values = found.groupdict()
            detail = values.pop("_detail", None) or ""
            params: dict[str, Any] = {
                name: int(value) if name in self._integers[code] else value
                for name, value in values.items()
            }
            return code, params, detail
        return None


def source_text(template: str, params: dict[str, Any]) -> str:
    return template % params if params else template


def convert_rows(
    model,
    *,
    text: str,
    code: str,
    params: str,
    matcher: ReasonMatcher,
    sources: Mapping[str, str],
    rewrite: bool = True,
    where: dict | None = None,
    unless: dict | None = None,
    batch_size: int = 500,
) -> None:
    """Give the rows of ``model`` whose ``text`` field is a known reason its ``code`` and
    ``params``; with ``rewrite``, the text becomes the source-language reason (``sources``:
    code -> English template), followed by the technical detail when the matcher keeps one."""
    fields = [code, params] + ([text] if rewrite else [])
    batch = []
    rows = model.objects.filter(**{code: ""}, **(where or {})).exclude(**{text: ""})
    if unless:
        rows = rows.exclude(**unless)
    for row in rows.only("pk", text).iterator(chunk_size=batch_size):
        found = matcher.match(getattr(row, text))
        if found is None:
            continue
        found_code, found_params, detail = found
        setattr(row, code, found_code)
        setattr(row, params, {**found_params, **({"detail": detail} if detail else {})})
        if rewrite:
            english = source_text(sources[found_code], found_params)
            setattr(row, text, f"{english} {detail}".strip())
        batch.append(row)
        if len(batch) >= batch_size:
            model.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        model.objects.bulk_update(batch, fields)
