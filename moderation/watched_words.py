"""Watched words: compile the community managers' rules, find matches, apply replacements.

Pure functions, no database: ``moderation.services`` stores the rules and passes them in as
:class:`WatchedRule` values; ``moderation.handlers`` runs them on every submitted post.

Two kinds of rule
    *Plain words* ("viagra", "buy now", "crypto*"): matched as whole words, case-insensitive;
    ``*`` stands for any run of letters or digits and a space for any run of white space.

    *Regular expressions* (Python syntax), checked before they are saved, because Python's
    ``re`` has no timeout and one bad pattern run on every post would stall the site
    (ReDoS). A pattern is refused when:

    * it is longer than ``MODERATION_WATCHED_WORD_MAX_PATTERN_LENGTH`` (200) characters;
    * it uses a back-reference (``\\1``, ``(?P=name)``, ``(?(1)…)``);
    * a repetition holds another variable repetition, e.g. ``(a+)+``, ``(\\w*)*``,
      ``(ab?)+`` — the nested quantifiers behind exponential backtracking;
    * a repeated alternation has branches that can start with the same character,
      e.g. ``(a|ab)+``, ``(\\w|x)*``;
    * two variable repetitions can consume the same characters one after the other, e.g.
      ``\\w*\\w*``, ``.*a.*`` (``a`` is matched by ``.``) — polynomial backtracking;
    * it does not compile.

    Every unbounded quantifier is then bounded: ``*`` becomes ``{0,50}``, ``+`` becomes
    ``{1,50}`` and ``{m,}`` becomes ``{m,50}`` (``MODERATION_WATCHED_WORD_MAX_REPEAT``), and a
    bound above 50 is refused. With bounded, unambiguous repetitions a search costs at most
    about 50 steps per character of the post, whatever the text (a test runs the worst
    accepted shapes on 32,000 characters).

Actions, strictest first: ``block`` (refuse the post with a message), ``hold`` (queue it before
publication), ``flag`` (publish and queue it for review), ``replace`` (rewrite the matched text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from re import _constants as sre_constants
from re import _parser as sre_parser

from django.utils.translation import gettext as _


class WatchedAction(StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"
    REPLACE = "replace"


SEVERITY = {
    WatchedAction.BLOCK: 4,
    WatchedAction.HOLD: 3,
    WatchedAction.FLAG: 2,
    WatchedAction.REPLACE: 1,
}

MAX_MATCHES_PER_RULE = 20
DEFAULT_MAX_LENGTH = 200
DEFAULT_MAX_REPEAT = 50


class UnsafePattern(ValueError):
    """A rule refused before it is saved; ``str(error)`` is a translated message for the CM."""


@dataclass(frozen=True)
class WatchedRule:
    pattern: str
    action: str
    is_regex: bool = False
    replacement: str = ""
    case_sensitive: bool = False
    id: int | None = None


@dataclass(frozen=True)
class CompiledRule:
    rule: WatchedRule
    regex: re.Pattern[str]


@dataclass(frozen=True)
class WordMatch:
    rule_id: int | None
    action: str
    text: str
    start: int
    end: int


# --- Plain words ------------------------------------------------------------------------------


def plain_word_regex(word: str) -> str:
    """The regular expression of a plain-word rule (whole words, ``*`` wildcard)."""
    word = " ".join(word.split())
    if not word.replace("*", "").strip():
        raise UnsafePattern(_("A watched word needs at least one letter or digit."))
    parts = []
    for char in word:
        if char == "*":
            parts.append(r"\w*")
        elif char == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    body = "".join(parts)
    start = r"(?<!\w)" if _is_word_char(word[0]) or word[0] == "*" else ""
    end = r"(?!\w)" if _is_word_char(word[-1]) or word[-1] == "*" else ""
    return f"{start}{body}{end}"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


# --- Regular expressions: bounding ------------------------------------------------------------

_BRACE_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")


def bound_quantifiers(pattern: str, max_repeat: int = DEFAULT_MAX_REPEAT) -> str:
    """Rewrite ``*``, ``+`` and ``{m,}`` outside character classes into bounded repetitions;
    refuse an explicit bound above ``max_repeat``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = -1
    while i < n:
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            out.append(char)
            # "]" right after "[" or "[^" is a literal, not the end of the class.
            if char == "]" and i > class_start:
                in_class = False
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            class_start = i
            continue
        if char in "*+" and not _follows_group_opening(out):
            out.append(f"{{{0 if char == '*' else 1},{max_repeat}}}")
            i += 1
            i = _copy_quantifier_suffix(pattern, i, out)
            continue
        if char == "{":
            match = _BRACE_QUANTIFIER.match(pattern, i)
            if match and (match.group(1) or match.group(3)):
                low, comma, high = match.groups()
                low_n = int(low) if low else 0
                # "{m,}" is unbounded: bound it; "{m}" repeats exactly m times.
                high_n = (int(high) if high else max_repeat) if comma else low_n
                if high_n > max_repeat or low_n > max_repeat:
                    raise UnsafePattern(
                        _("Repetitions are limited to %(max)d in a watched word.")
                        % {"max": max_repeat}
                    )
                out.append(f"{{{low_n},{high_n}}}" if comma else f"{{{low_n}}}")
                i = match.end()
                i = _copy_quantifier_suffix(pattern, i, out)
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _follows_group_opening(out: list[str]) -> bool:
    # "(?" never precedes a quantifier; "(*" is invalid anyway and left to the compiler.
    return bool(out) and out[-1] == "("


def _copy_quantifier_suffix(pattern: str, i: int, out: list[str]) -> int:
    """Copy a lazy ("?") or possessive ("+") marker that follows a quantifier."""
    if i < len(pattern) and pattern[i] in "?+":
        out.append(pattern[i])
        i += 1
    return i


# --- Regular expressions: safety analysis -----------------------------------------------------

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_POSSESSIVE = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
if _POSSESSIVE is not None:
    _REPEATS.add(_POSSESSIVE)
_SINGLE_CHAR = {
    sre_constants.LITERAL,
    sre_constants.NOT_LITERAL,
    sre_constants.ANY,
    sre_constants.IN,
}
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_GROUPREFS = {sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS}

# A sample alphabet to compare character sets: ASCII, Latin, a few letters, digits and spaces
# of other scripts. Two sets "overlap" when a character of this sample (or of the pattern's
# own literals) belongs to both: enough to tell \s from \w, or [0-9] from [a-z].
_BASE_ALPHABET = frozenset(
    [chr(code) for code in range(0x250)]
    + ["\u0416", "\u0436", "\u03a9", "\u05d0", "\u0663", "\u0966", "\u4e2d", "\u3042"]
    + ["\u00a0", "\u2003", "\u3000", "\u2028", "\ufb01", "\u1e9e"]
)

_CATEGORY_TESTS = {
    sre_constants.CATEGORY_DIGIT: lambda c: unicodedata.category(c) == "Nd",
    sre_constants.CATEGORY_NOT_DIGIT: lambda c: unicodedata.category(c) != "Nd",
    sre_constants.CATEGORY_SPACE: lambda c: c.isspace(),
    sre_constants.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
    sre_constants.CATEGORY_WORD: _is_word_char,
    sre_constants.CATEGORY_NOT_WORD: lambda c: not _is_word_char(c),
}


class _Analysis:
    def __init__(self, pattern: str, flags: int):
        self.ignore_case = bool(flags & re.IGNORECASE)
        self.dot_all = bool(flags & re.DOTALL)
        # The pattern's own characters join the sample, so a literal outside it is compared too.
        self.alphabet = _BASE_ALPHABET | frozenset(pattern)

    # Character sets of single-character elements.
    def _variants(self, char: str) -> set[str]:
        if not self.ignore_case:
            return {char}
        return {char, char.lower(), char.upper(), char.casefold()}

    def _in_item(self, op, av, char: str) -> bool:
        if op == sre_constants.LITERAL:
            return char == chr(av)
        if op == sre_constants.RANGE:
            return av[0] <= ord(char) <= av[1]
        if op == sre_constants.CATEGORY:
            test = _CATEGORY_TESTS.get(av)
            return True if test is None else test(char)
        return True  # anything unknown counts as "may match": the safe side

    def _matches(self, op, av, char: str) -> bool:
        candidates = self._variants(char)
        if op == sre_constants.LITERAL:
            return chr(av) in candidates
        if op == sre_constants.NOT_LITERAL:
            return chr(av) not in candidates
        if op == sre_constants.ANY:
            return self.dot_all or char != "\n"
        if op == sre_constants.IN:
            items = list(av)
            negate = any(item_op == sre_constants.NEGATE for item_op, _ in items)
            items = [(o, a) for o, a in items if o != sre_constants.NEGATE]
            hit = any(
                self._in_item(o, a, candidate)
                for candidate in candidates
                if len(candidate) == 1
                for o, a in items
            )
            return not hit if negate else hit
        return True

    def char_set(self, op, av) -> frozenset[str]:
        return frozenset(c for c in self.alphabet if self._matches(op, av, c))

    def consumable(self, items) -> frozenset[str]:
        """Every character some part of ``items`` may consume."""
        result: set[str] = set()
        for op, av in items:
            if op in _SINGLE_CHAR:
                result |= self.char_set(op, av)
            elif op in _REPEATS:
                result |= self.consumable(av[2])
            elif op == sre_constants.SUBPATTERN:
                result |= self.consumable(av[3])
            elif op == sre_constants.BRANCH:
                for branch in av[1]:
                    result |= self.consumable(branch)
            elif op == sre_constants.ATOMIC_GROUP:
                result |= self.consumable(av)
        return frozenset(result)

    def first_set(self, items) -> frozenset[str]:
        """The characters a match of ``items`` may start with (all of them when unsure)."""
        for op, av in items:
            if op in _ZERO_WIDTH:
                continue
            if op in _SINGLE_CHAR:
                return self.char_set(op, av)
            if op == sre_constants.SUBPATTERN:
                return self.first_set(av[3])
            if op in _REPEATS and av[0] >= 1:
                return self.first_set(av[2])
            return self.alphabet
        return self.alphabet  # may match the empty string

    # The checks.
    def check(self, items, *, inside_repeat: bool) -> None:
        self._check_sequence(items)
        for op, av in items:
            if op in _GROUPREFS:
                raise UnsafePattern(_("Back-references are not allowed in watched words."))
            if op in _REPEATS:
                low, high, body = av
                if high == sre_constants.MAXREPEAT:  # bound_quantifiers() leaves none
                    raise UnsafePattern(_("Unbounded repetitions are not allowed."))
                variable = high > low
                if inside_repeat and variable:
                    raise UnsafePattern(
                        _(
                            "Nested repetitions such as (a+)+ can freeze the site; "
                            "rewrite the pattern without a repetition inside another."
                        )
                    )
                if high > 1:
                    self._check_alternation(body)
                self.check(body, inside_repeat=inside_repeat or high > 1)
            elif op == sre_constants.SUBPATTERN:
                self.check(av[3], inside_repeat=inside_repeat)
            elif op == sre_constants.BRANCH:
                for branch in av[1]:
                    self.check(branch, inside_repeat=inside_repeat)
            elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                self.check(av[1], inside_repeat=inside_repeat)
            elif op == sre_constants.ATOMIC_GROUP:
                self.check(av, inside_repeat=inside_repeat)

    def _check_alternation(self, body) -> None:
        for op, av in _flatten(body):
            if op == sre_constants.BRANCH:
                firsts = [self.first_set(branch) for branch in av[1]]
                for i, first in enumerate(firsts):
                    for other in firsts[i + 1 :]:
                        if first & other:
                            raise UnsafePattern(
                                _(
                                    "A repeated alternation whose branches can start with the "
                                    "same character, such as (a|ab)+, can freeze the site."
                                )
                            )

    def _check_sequence(self, items) -> None:
        open_sets: list[frozenset[str]] = []
        for op, av in _flatten(items):
            if op in _REPEATS:
                low, high, body = av
                consumed = self.consumable(body)
                if high > low:
                    if any(consumed & other for other in open_sets):
                        raise UnsafePattern(
                            _(
                                "Two repetitions in a row can match the same characters "
                                "(as in \\w*\\w* or .*a.*); make them distinct."
                            )
                        )
                    open_sets = [consumed] if low >= 1 else [*open_sets, consumed]
                elif low >= 1:
                    open_sets = [o for o in open_sets if o & consumed]
            elif op in _SINGLE_CHAR:
                chars = self.char_set(op, av)
                open_sets = [o for o in open_sets if o & chars]
            elif op in _ZERO_WIDTH:
                continue
            elif _contains_variable_repeat([(op, av)]):
                consumed = self.consumable([(op, av)])
                if any(consumed & other for other in open_sets):
                    raise UnsafePattern(
                        _(
                            "Two repetitions in a row can match the same characters "
                            "(as in \\w*\\w* or .*a.*); make them distinct."
                        )
                    )
                open_sets = [*open_sets, consumed]


def _flatten(items):
    """Items of a sequence with plain (unrepeated) groups inlined."""
    for op, av in items:
        if op == sre_constants.SUBPATTERN:
            yield from _flatten(av[3])
        else:
            yield op, av


def _contains_variable_repeat(items) -> bool:
    for op, av in items:
        if op in _REPEATS and (av[1] > av[0] or _contains_variable_repeat(av[2])):
            return True
        if op == sre_constants.SUBPATTERN and _contains_variable_repeat(av[3]):
            return True
        if op == sre_constants.BRANCH and any(_contains_variable_repeat(b) for b in av[1]):
            return True
        if op == sre_constants.ATOMIC_GROUP and _contains_variable_repeat(av):
            return True
    return False


def check_regex(
    pattern: str,
    *,
    case_sensitive: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_repeat: int = DEFAULT_MAX_REPEAT,
) -> str:
    """Validate a regular-expression rule; return the bounded pattern that will be compiled.

    Raise :class:`UnsafePattern` with a message for the community manager.
    """
    if not pattern.strip():
        raise UnsafePattern(_("Enter a pattern."))
    if len(pattern) > max_length:
        raise UnsafePattern(
            _("A watched-word pattern may be at most %(max)d characters long.")
            % {"max": max_length}
        )
    bounded = bound_quantifiers(pattern, max_repeat)
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        tree = sre_parser.parse(bounded, flags)
        re.compile(bounded, flags)
    except (re.error, OverflowError, RecursionError) as exc:
        raise UnsafePattern(
            _("This is not a valid regular expression: %(error)s") % {"error": exc}
        ) from exc
    analysis = _Analysis(bounded, flags | tree.state.flags)
    analysis.check(list(tree), inside_repeat=False)
    if re.compile(bounded, flags).fullmatch(""):
        raise UnsafePattern(_("This pattern matches empty text, so it would match every post."))
    return bounded


def compile_rule(
    rule: WatchedRule,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_repeat: int = DEFAULT_MAX_REPEAT,
) -> CompiledRule:
    """Validate and compile one rule (raises :class:`UnsafePattern`)."""
    if rule.action not in WatchedAction.__members__.values():
        raise UnsafePattern(_("Choose an action: block, hold, flag or replace."))
    flags = 0 if rule.case_sensitive else re.IGNORECASE
    if rule.is_regex:
        source = check_regex(
            rule.pattern,
            case_sensitive=rule.case_sensitive,
            max_length=max_length,
            max_repeat=max_repeat,
        )
    else:
        if len(rule.pattern) > max_length:
            raise UnsafePattern(
                _("A watched-word pattern may be at most %(max)d characters long.")
                % {"max": max_length}
            )
        source = plain_word_regex(rule.pattern)
    return CompiledRule(rule=rule, regex=re.compile(source, flags))


def compile_rules(rules: Iterable[WatchedRule], **limits: int) -> list[CompiledRule]:
    """Compile the rules that pass the checks; a stored rule that no longer passes (the
    limits were lowered) is skipped rather than run."""
    compiled = []
    for rule in rules:
        try:
            compiled.append(compile_rule(rule, **limits))
        except UnsafePattern:
            continue
    return compiled


def find_matches(text: str, rules: Sequence[CompiledRule]) -> list[WordMatch]:
    """Every match of every rule in ``text`` (at most 20 per rule), in rule order."""
    found = []
    for compiled in rules:
        for count, match in enumerate(compiled.regex.finditer(text)):
            if count >= MAX_MATCHES_PER_RULE:
                break
            if match.end() == match.start():
                continue
            found.append(
                WordMatch(
                    rule_id=compiled.rule.id,
                    action=compiled.rule.action,
                    text=match.group(0),
                    start=match.start(),
                    end=match.end(),
                )
            )
    return found


def strictest(matches: Iterable[WordMatch]) -> WordMatch | None:
    """The match whose action is the strictest (block > hold > flag > replace)."""
    best = None
    for match in matches:
        if (
            best is None
            or SEVERITY[WatchedAction(match.action)] > SEVERITY[WatchedAction(best.action)]
        ):
            best = match
    return best


def apply_replacements(text: str, rules: Sequence[CompiledRule]) -> str:
    """``text`` with every "replace" rule applied in order (the replacement is literal text:
    no group references)."""
    for compiled in rules:
        if compiled.rule.action != WatchedAction.REPLACE:
            continue
        replacement = compiled.rule.replacement
        text = compiled.regex.sub(lambda _match, value=replacement: value, text)
    return text
