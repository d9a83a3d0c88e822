"""Trust levels as a pure function of a member's figures.

A member holds level n when every requirement of levels 1..n is met. Level 4 (leader) is never
reached automatically: as in Discourse, staff grant it by hand.
"""

from collections.abc import Mapping


def trust_level_for(
    figures: Mapping[str, int], requirements: Mapping[int, Mapping[str, int]]
) -> int:
    """Return the highest automatic level whose requirements (and those below) `figures` meet.

    A requirement naming a figure that `figures` lacks counts as not met, so a misspelt setting
    blocks promotion instead of granting it.
    """
    level = 0
    for candidate in sorted(requirements):
        needed = requirements[candidate]
        if all(figures.get(name, 0) >= minimum for name, minimum in needed.items()):
            level = candidate
        else:
            break
    return level


def missing_for(
    figures: Mapping[str, int], requirements: Mapping[int, Mapping[str, int]], level: int
) -> dict[str, int]:
    """Return, for `level`, each figure still short and by how much (for the profile page)."""
    needed = requirements.get(level, {})
    return {
        name: minimum - figures.get(name, 0)
        for name, minimum in needed.items()
        if figures.get(name, 0) < minimum
    }
