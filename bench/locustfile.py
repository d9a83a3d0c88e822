"""The member mix, for locust (pinned in requirements-bench.txt): run by bench/loadtest.py
(`make loadtest`) and bench/soak.py (`make soak`), never by hand against anything but
127.0.0.1.

Who is on the site (weights: of every 20 simulated people, about 12 anonymous readers, 7
signed-in members and 1 moderator — ``fixed_count`` keeps exactly one moderator):

    AnonymousReader   home, a category list, a topic page, search, the idea board
    Member            the issue's mix: 80 % reading (topic pages, lists, the idea board,
                      notifications), 10 % voting, 5 % replying, 1 % flagging
    Moderator         the review queue and the items on it

Think time between actions: 0.5 to 2 s per simulated person. Input (``LOADTEST_PLAN``: the JSON
of bench/loadplan.py) gives the pages, posts and members' sessions. Output
(``LOADTEST_TALLY``): what the tool itself did and saw — every vote and reply the server
accepted, so that the runner can check them against the database — and the status codes.

CSRF: each simulated browser makes up its own CSRF secret (32 letters and digits, what Django
stores in the cookie), sends it as the cookie and as ``X-CSRFToken``. Cookies are passed
explicitly: the production settings mark them Secure, and the load runs over plain HTTP.
"""

from __future__ import annotations

import collections
import json
import os
import random
import secrets
import string
import threading
import uuid

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"]).read())  # noqa: SIM115
TALLY_PATH = os.environ.get("LOADTEST_TALLY")
RUN_ID = os.environ.get("LOADTEST_RUN_ID", uuid.uuid4().hex[:8])
SEARCH_TERMS = ["kettle", "filter", "descaling", "warranty", "lid", "temperature", "noise"]

_lock = threading.Lock()  # gevent makes this cheap; it keeps the tally consistent
TALLY: dict = {
    "run_id": RUN_ID,
    "statuses": collections.Counter(),
    "votes": {},  # "member_id:post_id" -> value the server accepted last
    "replies": [],  # bodies the server accepted (302)
    "flags": [],  # [member_id, post_id] accepted
    "refused": collections.Counter(),  # 429 and friends, by action
}
_members = list(PLAN["members"])
_member_lock = threading.Lock()


def _csrf_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _count(name: str, status: int) -> None:
    with _lock:
        TALLY["statuses"][f"{name} {status}"] += 1


class Browser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.csrf = _csrf_secret()
        self.session_id: str | None = None

    def cookies(self) -> dict:
        cookies = {PLAN["csrf_cookie"]: self.csrf}
        if self.session_id:
            cookies[PLAN["session_cookie"]] = self.session_id
        return cookies

    def get(self, path: str, name: str) -> int:
        with self.client.get(
            path, name=name, cookies=self.cookies(), catch_response=True, allow_redirects=False
        ) as response:
            _count(name, response.status_code)
            if response.status_code >= 500 or response.status_code == 0:
                response.failure(f"{response.status_code}")
            elif response.status_code >= 400:
                response.failure(f"{response.status_code} on a read")
            else:
                response.success()
            return response.status_code

    def post(self, path: str, data: dict, name: str, action: str) -> int:
        """POST a form; 302 is success, 429 a refusal (a daily limit), anything else a
        failure. Returns the status."""
        with self.client.post(
            path,
            data=data,
            name=name,
            cookies=self.cookies(),
            headers={"X-CSRFToken": self.csrf, "Referer": self.host + path},
            catch_response=True,
            allow_redirects=False,
        ) as response:
            status = response.status_code
            _count(name, status)
            if status == 429:
                with _lock:
                    TALLY["refused"][action] += 1
                response.success()
            elif status in (200, 302):
                response.success()
            else:
                response.failure(f"{status}")
            return status

    # --- shared reads ------------------------------------------------------------------------

    def read_topic(self) -> None:
        self.get(random.choice(PLAN["topics"])["url"], "topic page")

    def read_category(self) -> None:
        self.get(random.choice(PLAN["categories"]), "category list")

    def read_home(self) -> None:
        self.get("/", "home")

    def read_ideas(self) -> None:
        self.get("/ideas/", "idea board")

    def search(self) -> None:
        self.get(f"/search/?q={random.choice(SEARCH_TERMS)}", "search")


class AnonymousReader(Browser):
    weight = 12

    @task(40)
    def topic(self) -> None:
        self.read_topic()

    @task(25)
    def category(self) -> None:
        self.read_category()

    @task(20)
    def home(self) -> None:
        self.read_home()

    @task(10)
    def ideas(self) -> None:
        self.read_ideas()

    @task(5)
    def find(self) -> None:
        self.search()


class Member(Browser):
    weight = 7

    def on_start(self) -> None:
        super().on_start()
        with _member_lock:
            if not _members:
                _members.extend(PLAN["members"])  # more users than sessions: share them
            self.member = _members.pop()
        self.session_id = self.member["sessionid"]
        self.voted: set[int] = set()

    # 80 % reading
    @task(40)
    def topic(self) -> None:
        self.read_topic()

    @task(20)
    def category(self) -> None:
        self.read_category()

    @task(10)
    def home(self) -> None:
        self.read_home()

    @task(6)
    def ideas(self) -> None:
        self.read_ideas()

    @task(4)
    def notifications(self) -> None:
        self.get("/notifications/", "notifications")

    # 10 % voting: each member votes once per post (not their own), so the tally is exact
    @task(10)
    def vote(self) -> None:
        post_id, author_id = random.choice(PLAN["posts"])
        if author_id == self.member["id"] or post_id in self.voted:
            return
        value = random.choice([1, 1, 1, -1])
        status = self.post(f"/p/{post_id}/vote/", {"value": value}, "vote", "vote")
        if status == 302:
            self.voted.add(post_id)
            with _lock:
                TALLY["votes"][f"{self.member['id']}:{post_id}"] = value

    # 5 % replying
    @task(5)
    def reply(self) -> None:
        topic = random.choice([t for t in PLAN["topics"] if t["reply"]])
        body = f"Load test reply {RUN_ID}-{uuid.uuid4().hex[:12]}: same here, thanks for the tip."
        status = self.post(f"/t/{topic['id']}/reply/", {"body": body}, "reply", "reply")
        if status == 302:
            with _lock:
                TALLY["replies"].append(body)

    # 1 % flagging
    @task(1)
    def flag(self) -> None:
        post_id, author_id = random.choice(PLAN["posts"])
        if author_id == self.member["id"]:
            return
        status = self.post(
            f"/p/{post_id}/flag/",
            {"reason": "off_topic", "note": f"load test {RUN_ID}"},
            "flag",
            "flag",
        )
        if status == 302:
            with _lock:
                TALLY["flags"].append([self.member["id"], post_id])


class Moderator(Browser):
    weight = 1
    fixed_count = 1

    def on_start(self) -> None:
        super().on_start()
        self.session_id = (PLAN.get("moderator") or {}).get("sessionid")

    @task(3)
    def queue(self) -> None:
        self.get("/mod/queue/", "moderation queue")

    @task(2)
    def item(self) -> None:
        # An item of the queue, read as a moderator does before deciding.
        if PLAN.get("review_items"):
            self.get(f"/mod/items/{random.choice(PLAN['review_items'])}/", "moderation item")
        else:
            self.queue()


@events.quitting.add_listener
def _write_tally(environment, **kwargs) -> None:
    if not TALLY_PATH:
        return
    with _lock:
        data = {
            **TALLY,
            "statuses": dict(TALLY["statuses"]),
            "refused": dict(TALLY["refused"]),
        }
    with open(TALLY_PATH, "w") as handle:
        json.dump(data, handle)
