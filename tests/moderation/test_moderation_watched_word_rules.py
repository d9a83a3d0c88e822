"""moderation.watched_words: compiling, matching, replacing, refusing unsafe patterns. Pure."""

from __future__ import annotations

import time

import pytest

from moderation import watched_words as ww


def rule(pattern, action="flag", **kwargs):
    return ww.compile_rule(ww.WatchedRule(pattern=pattern, action=action, **kwargs))


def test_plain_word_matches_whole_words_in_any_case():
    compiled = [rule("casino")]
    assert [m.text for m in ww.find_matches("Casino night! casinos? CASINO.", compiled)] == [
        "Casino",
        "CASINO",
    ]


def test_plain_word_star_is_a_wildcard_inside_a_word():
    compiled = [rule("crypto*")]
    assert [m.text for m in ww.find_matches("cryptocoins and crypto, not acrypto", compiled)] == [
        "cryptocoins",
        "crypto",
    ]


def test_plain_phrase_matches_any_white_space_between_words():
    assert ww.find_matches("Buy\n   now please", [rule("buy now")])


def test_plain_words_treat_regex_characters_literally():
    assert ww.find_matches("win $$$ today", [rule("$$$")])
    assert not ww.find_matches("win a today", [rule("a.b")])


def test_regex_rule_matches():
    compiled = [rule(r"fr[e3]{2}\s+money", is_regex=True)]
    assert ww.find_matches("Get FR33   money now", compiled)


def test_case_sensitive_rule_ignores_other_cases():
    compiled = [rule("NASA", case_sensitive=True)]
    assert ww.find_matches("NASA", compiled)
    assert not ww.find_matches("nasa", compiled)


def test_strictest_action_wins():
    compiled = [rule("spam", "flag"), rule("scam", "block"), rule("darn", "replace")]
    matches = ww.find_matches("spam scam darn", compiled)
    assert ww.strictest(matches).action == "block"


def test_replace_rewrites_every_occurrence_with_literal_text():
    compiled = [rule("darn", "replace", replacement=r"d\1*n")]
    assert ww.apply_replacements("Darn it, DARN.", compiled) == r"d\1*n it, d\1*n."


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+",
        r"(\w*)*b",
        r"(ab?)+",
        r"(a|ab)+c",
        r"(\w|xy)+z",
        r"\w*\w*x",
        r".*a.*",
        r"(x)\1",
        r"(?P<w>x)(?P=w)",
        r"a{1,500}",
        r"a*",
        r"[unclosed",
        "x" * 201,
    ],
)
def test_unsafe_or_invalid_patterns_are_refused(pattern):
    with pytest.raises(ww.UnsafePattern):
        rule(pattern, is_regex=True)


def test_nested_quantifier_refusal_says_why():
    with pytest.raises(ww.UnsafePattern, match=r"[Nn]ested repetitions"):
        rule(r"(a+)+$", is_regex=True)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bcasino\b",
        r"\s+\w+",
        r"https?://\S+",
        r"colou?r",
        r"\d{3}-\d{4}",
        r"(?:foo|bar)+baz",
        r"\w+@\w+\.com",
        r"[a-z]+\d+",
    ],
)
def test_ordinary_patterns_are_accepted(pattern):
    rule(pattern, is_regex=True)


def test_unbounded_quantifiers_are_bounded():
    assert ww.check_regex(r"a+b*c{2,}") == "a{1,50}b{0,50}c{2,50}"
    assert ww.check_regex(r"[+*]x\+") == r"[+*]x\+"  # not quantifiers


def test_worst_accepted_patterns_stay_fast_on_a_long_post():
    text = "a" * 32_000
    compiled = [
        rule(p, is_regex=True)
        for p in [r"\w+x", r"[a-z]+\d+", r"\w+@\w+\.com", r"(?:ab|cd)+x", r"https?://\S+z"]
    ]
    started = time.perf_counter()
    assert ww.find_matches(text, compiled) == []
    assert time.perf_counter() - started < 1.0


def test_unknown_action_is_refused():
    with pytest.raises(ww.UnsafePattern):
        rule("word", action="explode")
