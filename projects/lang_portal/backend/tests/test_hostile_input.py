"""Hostile input on every route of the Lang Portal API, as its OpenAPI schema lists them, on both databases:
arbitrary JSON (NaN, infinities, numbers beyond a float, huge integers, lone surrogates, deep nesting), in
the shape the schema asks for or not, raw bytes, and arbitrary text in paths, query strings and headers.

No answer may be a 5xx - except the documented 503 of an AWS feature that local mode leaves unconfigured
- or carry a stack trace, every JSON answer must be valid JSON, and the app may log no ERROR line and no
stack trace. The app runs as `make run-lang-portal` runs it: local mode, its real authenticator.

Hypothesis is derandomized (the same examples every run) with shrinking off: a failure shows its request."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pydantic_core
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import API_KEY, settings_for

EXAMPLES = 500  # per database: about 20 per operation; a few seconds each

# Text as a client can send it: any code point, lone surrogates included (escaped in JSON, or as the bytes
# ED A0 80 in a URL), control characters, and lengths around the columns' limits.
any_text = st.one_of(st.text(st.characters(exclude_categories=()), max_size=20),
                     st.text(st.characters(exclude_categories=()), min_size=95, max_size=260),
                     st.sampled_from(["\ud800", "\udfff", "\x00", "NaN", "Infinity", "-0", "1e999", "9" * 400,
                                      "\u202e", "\ufeff", "\U0010ffff", "%00", "../..", "a\r\nb"]))
any_integer = st.one_of(st.integers(min_value=1, max_value=60), st.integers(),
                        st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]))
json_leaf = st.one_of(st.none(), st.booleans(), any_integer, st.floats(), any_text)
json_values = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
# Latin-1 without CR/LF: what an HTTP header can carry at all.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)


@pytest.fixture
def app(db_url) -> Iterator[FastAPI]:
    application = create_app(settings_for(db_url))
    yield application
    application.state.engine.dispose()


class LogProblems(logging.Handler):
    """Formats every record as the app's JSON handler does into a strict UTF-8 stream; keeps what is wrong."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            self.stream.write(line + "\n")
        except Exception as error:  # a line that cannot be written is a problem too
            self.problems.append(f"unwritable log line: {error!r}")
            return
        if record.levelno >= logging.ERROR or record.exc_info or "Traceback" in line:
            self.problems.append(line[:2000])


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def shaped(schema: dict, components: dict, depth: int = 0) -> st.SearchStrategy:
    """Values in the shape of `schema` with hostile leaves - or, at any level, any JSON value at all."""
    schema = _resolve(schema, components)
    if depth > 4:
        return json_values
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        return st.one_of(*(shaped(variant, components, depth + 1) for variant in variants))
    kind = schema.get("type")
    if kind == "object" and schema.get("properties"):
        fields = {name: shaped(field, components, depth + 1) for name, field in schema["properties"].items()}
        typed = st.fixed_dictionaries({}, optional=fields)
    elif kind == "array":
        typed = st.lists(shaped(schema.get("items", {}), components, depth + 1), max_size=3)
    elif kind == "string":
        typed = any_text
    elif kind == "integer":
        typed = any_integer
    elif kind == "boolean":
        typed = st.booleans()
    else:
        typed = json_values
    return st.one_of(typed, typed, json_values)


def _url_part(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def hostile_requests(draw, operations: list[tuple[str, str, dict]], components: dict) -> dict:
    method, path, operation = draw(st.sampled_from(operations))
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        if parameter["in"] == "path":
            value = draw(st.one_of(any_integer, any_text))
            path = path.replace("{" + parameter["name"] + "}", _url_part(value) or "x")
    query_names = [parameter["name"] for parameter in parameters if parameter["in"] == "query"]
    query = draw(st.dictionaries(st.one_of(st.sampled_from(query_names or ["page"]), any_text),
                                 st.one_of(any_integer, any_text, st.sampled_from(["asc", "desc", "name"])),
                                 max_size=3))
    url = path + ("?" + "&".join(f"{_url_part(k)}={_url_part(v)}" for k, v in query.items()) if query else "")
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    value_strategy = shaped(body_schema, components) if body_schema else json_values
    body = draw(st.one_of(st.none(), value_strategy.map(lambda value: json.dumps(value).encode()),
                          st.binary(max_size=200)))
    headers = draw(st.fixed_dictionaries({}, optional={
        "Authorization": st.one_of(header_text, header_text.map(lambda token: f"Bearer {token}")),
        "X-Request-Id": header_text,
        "Content-Type": st.one_of(st.sampled_from(["application/json", "application/json; charset=latin-1",
                                                   "application/merge-patch+json", "text/plain"]), header_text)}))
    api_key = draw(st.one_of(st.none(), st.none(), st.just(API_KEY), header_text))  # half the requests as users
    if api_key is not None:
        headers["X-Api-Key"] = api_key
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    return {"method": method.upper(), "url": url, "content": body, "headers": headers}


def _unconfigured_feature(response) -> bool:
    """The documented 503 of the AWS helpers in local mode: it names the settings that would enable them."""
    return response.status_code == 503 and "settings" in response.json()


def test_no_hostile_request_gets_a_5xx_or_a_stack_trace(app):
    schema = app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    operations = [(method, path, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items()]
    assert len(operations) >= 26, "every route of the API is in the schema"
    root = logging.getLogger()
    problems = LogProblems(root.handlers[0].formatter)
    root.addHandler(problems)
    seen: set[tuple[str, str, int]] = set()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            @given(request=hostile_requests(operations, components))
            @example(request={"method": "POST", "url": "/api/study_sessions/1/words/1/review",
                              "content": b'{"correct": NaN}', "headers": {"Content-Type": "application/json"}})
            @example(request={"method": "POST", "url": "/api/groups/import", "content":
                              b'{"group_name": "\\ud800", "words": []}', "headers": {"Content-Type": "application/json"}})
            @example(request={"method": "POST", "url": "/api/groups/import", "content":
                              b'{"group_name": "g", "words": [{"japanese": "a", "romaji": "a", "english": "a", '
                              b'"parts": {"n": 1e999}}]}', "headers": {"Content-Type": "application/json"}})
            @example(request={"method": "POST", "url": "/api/study_activities", "content":
                              b'{"group_id": Infinity, "study_activity_id": 1}', "headers": {}})
            @example(request={"method": "GET", "url": "/api/words?page=%ED%A0%80&sort_by=%FF", "content": None,
                              "headers": {"X-Request-Id": "\xff\x00", "Authorization": "Bearer \xe9"}})
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def hostile(request: dict) -> None:
                headers = {name: value.encode("latin-1") for name, value in request["headers"].items()}  # as sent
                response = client.request(request["method"], request["url"], content=request["content"],
                                          headers=headers)
                seen.add((request["method"], request["url"].split("?")[0], response.status_code))
                assert response.status_code < 500 or _unconfigured_feature(response), \
                    f"{request}: {response.status_code} {response.text[:500]}"
                assert "Traceback" not in response.text, request
                if response.headers.get("content-type", "").startswith("application/json"):
                    pydantic_core.from_json(response.content, allow_inf_nan=False)  # writable, strict JSON
                assert not problems.problems, f"{request}: {problems.problems}"

            hostile()
    finally:
        root.removeHandler(problems)
    statuses = {status for _, _, status in seen}
    assert {200, 404, 422} <= statuses, "the examples reach the endpoints, not only the validation"
