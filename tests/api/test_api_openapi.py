"""The OpenAPI schema documents every operation of the API, whoever wrote it: an operation id,
words, an example, and the error statuses it may answer (429 everywhere: the throttle; 401
wherever authentication is needed). drf-spectacular's own validation passes without a
warning."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema):
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in METHODS
    ]


def _examples(operation) -> list:
    return [
        example
        for section in [operation.get("requestBody", {}), *operation["responses"].values()]
        for media in section.get("content", {}).values()
        for example in media.get("examples", {}).values()
    ]


def test_the_schema_has_the_contract_operations(schema):
    ids = {operation["operationId"] for _name, operation in _operations(schema)}
    assert {
        "auth_token_create",
        "me_retrieve",
        "me_tokens_list",
        "me_tokens_destroy",
        "users_retrieve",
        "categories_list",
        "topics_list",
        "topics_create",
        "topics_retrieve",
        "topics_partial_update",
        "topics_destroy",
        "topics_posts_list",
        "topics_posts_create",
        "posts_retrieve",
        "posts_partial_update",
        "posts_destroy",
        "posts_revisions_list",
        "posts_vote",
        "flags_create",
        "mod_queue_list",
        "mod_queue_claim",
        "mod_queue_release",
        "mod_queue_decide",
        "mod_log_list",
        "ideas_list",
        "ideas_vote",
        "ideas_status_set",
        "roadmap_retrieve",
        "notifications_list",
        "notifications_read",
        "search",
    } <= ids


def test_every_operation_is_documented_with_words_and_an_example(schema):
    missing = []
    seen_ids = set()
    for name, operation in _operations(schema):
        operation_id = operation.get("operationId")
        if not operation_id or operation_id in seen_ids:
            missing.append(f"{name}: no operation id of its own")
        seen_ids.add(operation_id)
        if not (operation.get("description") or operation.get("summary")):
            missing.append(f"{name}: no description nor summary")
        if not _examples(operation):
            missing.append(f"{name}: no example")
    assert not missing, "\n".join(missing)


def test_every_operation_documents_its_error_statuses(schema):
    missing = []
    for name, operation in _operations(schema):
        responses = operation["responses"]
        throttled = responses.get("429")
        if throttled is None or "Retry-After" not in throttled.get("headers", {}):
            missing.append(f"{name}: no 429 with Retry-After")
        security = operation.get("security") or [{}]
        if {} not in security and "401" not in responses:
            missing.append(f"{name}: needs authentication but documents no 401")
        if not any(code.startswith("2") for code in responses):
            missing.append(f"{name}: no success status")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    "operation_id",
    ["mod_queue_list", "mod_queue_claim", "mod_queue_release", "mod_queue_decide", "mod_log_list"],
)
def test_moderation_operations_need_authentication(schema, operation_id):
    operation = next(op for _n, op in _operations(schema) if op["operationId"] == operation_id)
    assert {} not in operation["security"]
    assert {"401", "403"} <= set(operation["responses"])


def test_list_filters_and_cursors_are_parameters(schema):
    topics = {p["name"] for p in schema["paths"]["/api/v1/topics/"]["get"]["parameters"]}
    assert {"category", "tag", "kind", "status", "author", "unanswered", "search"} <= topics
    assert {"ordering", "period", "cursor", "page_size"} <= topics
    search = {p["name"] for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert {"q", "category", "tag", "kind", "author", "cursor"} <= search
    listed = schema["paths"]["/api/v1/topics/"]["get"]["responses"]["200"]["content"]
    page = listed["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"next", "previous", "results"} <= set(
        schema["components"]["schemas"][page]["properties"]
    )


def test_spectacular_validates_the_schema_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
