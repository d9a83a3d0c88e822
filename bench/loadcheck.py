"""Check what the load tool saw accepted against the database: run by bench/loadtest.py and
bench/soak.py with the server's environment and the tally of bench/locustfile.py.

    .venv/bin/python bench/loadcheck.py <tally.json>

Prints one JSON object: every reply body the server answered 302 to must exist as a post
(visible, or held for review in a pre-moderated category), exactly once; every vote the
server accepted must exist with the value last sent (each simulated member votes once per
post); the outbox must be empty of failed events, and no notification may be duplicated.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402

from community.models import Post, Vote  # noqa: E402


def main(path: str) -> None:
    tally = json.loads(Path(path).read_text())
    bodies = tally["replies"]
    found = dict(
        Post.objects.filter(body__in=bodies)
        .values_list("body")
        .annotate(n=Count("id"))
        .values_list("body", "n")
    )
    missing_replies = [body for body in bodies if found.get(body, 0) == 0]
    doubled_replies = [body for body, n in found.items() if n > 1]

    wanted = {}
    for key, value in tally["votes"].items():
        member_id, post_id = (int(part) for part in key.split(":"))
        wanted[(member_id, post_id)] = value
    stored = {}
    post_ids = {post_id for _member, post_id in wanted}
    for user_id, post_id, value in Vote.objects.filter(post_id__in=post_ids).values_list(
        "user_id", "post_id", "value"
    ):
        if (user_id, post_id) in wanted:
            stored[(user_id, post_id)] = value
    wrong_votes = [f"{m}:{p}" for (m, p), value in wanted.items() if stored.get((m, p)) != value]

    from notifications.models import Outbox

    outbox = dict(
        Outbox.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    reply_keys = [
        f"post:{pk}" for pk in Post.objects.filter(body__in=bodies).values_list("pk", flat=True)
    ]
    reply_events = dict(
        Outbox.objects.filter(key__in=reply_keys)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    report = {
        "replies_expected": len(bodies),
        "replies_found": len(bodies) - len(missing_replies),
        "replies_missing": missing_replies[:10],
        "replies_doubled": doubled_replies[:10],
        "votes_expected": len(wanted),
        "votes_found": len(wanted) - len(wrong_votes),
        "votes_wrong": wrong_votes[:10],
        "outbox": outbox,
        # The outbox events of the load's replies, by status: "done" once their notifications
        # were created (pending: not yet; the beat's drain publishes them again).
        "reply_events": reply_events,
    }
    report["ok"] = not (missing_replies or doubled_replies or wrong_votes)
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
