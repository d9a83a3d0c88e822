"""community.diffing: readable word-level differences between two versions of a text."""

from __future__ import annotations

import itertools
import time

from community import diffing
from community.diffing import diff_text


def old_text(chunks):
    return "".join(text for op, text in chunks if op in ("equal", "delete"))


def new_text(chunks):
    return "".join(text for op, text in chunks if op in ("equal", "insert"))


def test_one_changed_word_shows_that_word_only():
    chunks = diff_text("The kettle whistles loudly.", "The kettle sings loudly.")
    assert chunks == [
        ("equal", "The kettle "),
        ("delete", "whistles"),
        ("insert", "sings"),
        ("equal", " loudly."),
    ]


def test_both_versions_can_be_rebuilt_from_the_chunks():
    old = "Line one\nLine two has a typo\n\nLine four\n"
    new = "Line one\nLine two has no typo\nA new line\n\nLine four\n"
    chunks = diff_text(old, new)
    assert old_text(chunks) == old
    assert new_text(chunks) == new
    assert ("insert", "no ") in chunks or any(
        op == "insert" and "no" in text for op, text in chunks
    )


def test_identical_texts_are_one_equal_chunk():
    assert diff_text("same", "same") == [("equal", "same")]
    assert diff_text("", "") == []


def test_adding_and_removing_everything():
    assert diff_text("", "new text") == [("insert", "new text")]
    assert diff_text("old text", "") == [("delete", "old text")]


def test_adjacent_chunks_of_the_same_kind_are_merged():
    chunks = diff_text("a b c", "x y z")
    ops = [op for op, _text in chunks]
    assert all(first != second for first, second in itertools.pairwise(ops))


def test_huge_changed_blocks_fall_back_to_lines_and_stay_fast(monkeypatch):
    monkeypatch.setattr(diffing, "WORD_DIFF_LIMIT", 100)
    old = " ".join(f"word{n}" for n in range(5000))
    new = " ".join(f"term{n}" for n in range(5000))
    started = time.monotonic()
    chunks = diff_text(old, new)
    assert time.monotonic() - started < 2
    assert chunks == [("delete", old), ("insert", new)]


def test_fifty_thousand_characters_diff_in_reasonable_time():
    old = "\n".join(f"Paragraph {n}: the Aurora kettle boils water quickly." for n in range(900))
    new = old.replace("Paragraph 450:", "Paragraph 450 (edited):")
    started = time.monotonic()
    chunks = diff_text(old, new)
    assert time.monotonic() - started < 2
    assert ("insert", " (edited)") in chunks
    assert new_text(chunks) == new
