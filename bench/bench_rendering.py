"""Throughput of the Markdown → sanitized HTML pipeline (community.rendering).

Run from the project root:  .venv/bin/python bench/bench_rendering.py [--seconds 3] [--posts 2000]

Generates a deterministic corpus of varied forum posts (200 B to 10 KB: paragraphs, lists,
code, links, quotes, mentions, tables), renders it repeatedly for about ``--seconds`` per
round, and prints the median of 3 rounds in posts/s and MB/s of Markdown input. Needs no
Django settings or database: the mention resolver is an in-memory set.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from community.rendering import render_markdown

WORDS = [
    "the",
    "community",
    "forum",
    "brand",
    "product",
    "release",
    "support",
    "question",
    "answer",
    "thanks",
    "issue",
    "update",
    "feature",
    "design",
    "feedback",
    "idea",
    "roadmap",
    "bug",
    "fix",
    "login",
    "mobile",
    "app",
    "search",
    "notification",
    "profile",
    "moderator",
    "topic",
    "reply",
    "vote",
    "quote",
    "link",
    "image",
    "table",
    "code",
]
USERS = [f"user{n}" for n in range(200)] + ["alice", "bob", "carol.d", "dave-e"]
KNOWN = {u.lower() for u in USERS[::2]}


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    roll = rng.random()
    if roll < 0.15:
        words.insert(rng.randrange(len(words)), "@" + rng.choice(USERS))
    elif roll < 0.25:
        words.insert(
            rng.randrange(len(words)), f"[docs](https://docs.example.com/{rng.randint(1, 99)})"
        )
    elif roll < 0.32:
        words.insert(rng.randrange(len(words)), f"https://example.org/t/{rng.randint(1, 9999)}")
    elif roll < 0.40:
        words.insert(rng.randrange(len(words)), f"`{rng.choice(WORDS)}()`")
    elif roll < 0.48:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**" if rng.random() < 0.5 else f"*{words[i]}*"
    return " ".join(words).capitalize() + rng.choice(".!?")


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 5)))


def block(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        return paragraph(rng)
    if kind < 0.58:
        marker = rng.choice(["-", "*", "1."])
        return "\n".join(f"{marker} {sentence(rng)}" for _ in range(rng.randint(2, 6)))
    if kind < 0.68:
        lang = rng.choice(["python", "js", "bash", ""])
        lines = [f"    {rng.choice(WORDS)} = {rng.randint(0, 999)}  # {rng.choice(WORDS)}"]
        lines *= rng.randint(2, 12)
        return f"```{lang}\ndef f():\n" + "\n".join(lines) + "\n```"
    if kind < 0.78:
        inner = "\n\n".join(paragraph(rng) for _ in range(rng.randint(1, 2)))
        return f'[quote="{rng.choice(USERS)}" post={rng.randint(1, 99999)}]\n{inner}\n[/quote]'
    if kind < 0.85:
        cols = rng.randint(2, 5)
        head = "| " + " | ".join(rng.choice(WORDS) for _ in range(cols)) + " |"
        sep = "|" + "|".join(rng.choice(["---", ":--", ":-:", "--:"]) for _ in range(cols)) + "|"
        rows = [
            "| " + " | ".join(rng.choice(WORDS) for _ in range(cols)) + " |"
            for _ in range(rng.randint(2, 8))
        ]
        return "\n".join([head, sep, *rows])
    if kind < 0.90:
        return f"> {paragraph(rng)}"
    if kind < 0.95:
        return f"## {sentence(rng)}"
    src = rng.choice(
        ["/media/u/1.png", "https://images.example.org/a.jpg", "https://t.example/p.gif"]
    )
    return f"![{rng.choice(WORDS)}]({src})"


def make_post(rng: random.Random) -> str:
    target = int(min(10_000, max(200, rng.lognormvariate(7.0, 0.9))))
    parts: list[str] = []
    size = 0
    while size < target:
        part = block(rng)
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts)[:10_000]


def resolver(names: set[str]) -> set[str]:
    return {n for n in names if n.lower() in KNOWN}


def run_round(posts: list[str], seconds: float) -> tuple[float, float]:
    rendered = 0
    chars = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for post in posts:
            render_markdown(
                post,
                resolve_mentions=resolver,
                image_hosts=frozenset({"images.example.org"}),
                site_host="forum.example.org",
            )
            rendered += 1
            chars += len(post)
            if time.perf_counter() >= deadline:
                elapsed = time.perf_counter() - start
                return rendered / elapsed, chars / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each round")
    parser.add_argument("--posts", type=int, default=2000, help="corpus size")
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    posts = [make_post(rng) for _ in range(args.posts)]
    sizes = sorted(len(p) for p in posts)
    print(
        f"corpus: {len(posts)} posts, {sum(sizes) / 1e6:.2f} MB, "
        f"size min/median/max = {sizes[0]}/{sizes[len(sizes) // 2]}/{sizes[-1]} chars"
    )
    run_round(posts[:50], 0.2)  # warm-up: import-time caches, nh3 Cleaner, regexes

    results = []
    for n in range(3):
        posts_s, mb_s = run_round(posts, args.seconds)
        results.append((posts_s, mb_s))
        print(f"round {n + 1}: {posts_s:8.0f} posts/s  {mb_s:6.2f} MB/s")
    print(
        f"median: {statistics.median(r[0] for r in results):.0f} posts/s, "
        f"{statistics.median(r[1] for r in results):.2f} MB/s "
        f"(Python {sys.version.split()[0]}, single thread)"
    )


if __name__ == "__main__":
    main()
