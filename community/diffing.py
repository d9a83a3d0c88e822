"""Readable differences between two versions of a post's text. Pure: no database, no Django.

:func:`diff_text` compares line by line, then word by word inside the lines that changed, so
an edit that fixes one word shows that word, not the whole paragraph. The result is a list of
``(op, text)`` chunks with ``op`` in ``"equal"``, ``"insert"``, ``"delete"``; joining the
``equal`` and ``delete`` chunks gives the old text back, ``equal`` and ``insert`` the new one.
Adjacent chunks with the same op are merged. Whitespace is kept as it was.

Texts are bounded (posts have 50,000 characters at most) but difflib is quadratic in the worst
case: past :data:`WORD_DIFF_LIMIT` tokens in a changed block, that block is shown as whole
lines deleted and inserted.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["WORD_DIFF_LIMIT", "Chunk", "diff_text"]

Chunk = tuple[str, str]

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
WORD_DIFF_LIMIT = 4000
_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def _append(chunks: list[Chunk], op: str, text: str) -> None:
    if not text:
        return
    if chunks and chunks[-1][0] == op:
        chunks[-1] = (op, chunks[-1][1] + text)
    else:
        chunks.append((op, text))


def _diff_sequences(old: list[str], new: list[str], chunks: list[Chunk], *, words: bool) -> None:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(chunks, EQUAL, "".join(old[i1:i2]))
        elif tag == "delete":
            _append(chunks, DELETE, "".join(old[i1:i2]))
        elif tag == "insert":
            _append(chunks, INSERT, "".join(new[j1:j2]))
        elif words:
            _append(chunks, DELETE, "".join(old[i1:i2]))
            _append(chunks, INSERT, "".join(new[j1:j2]))
        else:
            old_block, new_block = "".join(old[i1:i2]), "".join(new[j1:j2])
            old_tokens, new_tokens = _tokens(old_block), _tokens(new_block)
            if len(old_tokens) + len(new_tokens) > WORD_DIFF_LIMIT:
                _append(chunks, DELETE, old_block)
                _append(chunks, INSERT, new_block)
            else:
                _diff_sequences(old_tokens, new_tokens, chunks, words=True)


def diff_text(old: str, new: str) -> list[Chunk]:
    """Chunks turning ``old`` into ``new`` (line level, then word level in changed lines)."""
    chunks: list[Chunk] = []
    if old == new:
        _append(chunks, EQUAL, old)
        return chunks
    _diff_sequences(
        old.splitlines(keepends=True), new.splitlines(keepends=True), chunks, words=False
    )
    return chunks
