"""Hostile input on every route of an app's API, as its OpenAPI schema lists them: arbitrary JSON (NaN,
infinities, numbers beyond a float, huge integers, lone surrogates, deep nesting), in the shape the schema
asks for or not, raw bytes, and arbitrary text in paths, query strings and headers.

`check_hostile_requests` sends them and asserts: no answer is a 5xx (except what `allowed_5xx` accepts,
e.g. the documented 503 of an AWS feature local mode leaves unconfigured), none carries a stack trace,
every JSON answer is strict JSON, and the app logs no ERROR line and no stack trace.

Hypothesis is derandomized (the same examples every run) with shrinking off: a failure shows its request."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Sequence
from urllib.parse import quote

import httpx
import pydantic_core
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

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
def hostile_requests(draw, operations: list[tuple[str, str, dict]], components: dict, api_key: str | None) -> dict:
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
    keys = [st.none(), st.none(), header_text] + ([st.just(api_key)] if api_key else [])
    sent_key = draw(st.one_of(*keys))  # about half the requests as users
    if sent_key is not None:
        headers["X-Api-Key"] = sent_key
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    return {"method": method.upper(), "url": url, "content": body, "headers": headers}


def unconfigured_feature(response: httpx.Response) -> bool:
    """The documented 503 of an AWS-backed feature in local mode: it names the settings that would enable it."""
    return response.status_code == 503 and "settings" in response.json()


def check_hostile_requests(app: FastAPI, *, examples: int, explicit: Sequence[dict] = (), api_key: str | None = None,
                           allowed_5xx: Callable[[httpx.Response], bool] = unconfigured_feature,
                           min_operations: int = 1) -> set[int]:
    """Send `examples` generated requests (after the `explicit` ones) to `app`; the statuses seen."""
    schema = app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    operations = [(method, path, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items()]
    assert len(operations) >= min_operations, "every route of the API is in the schema"
    root = logging.getLogger()
    problems = LogProblems(root.handlers[0].formatter)
    root.addHandler(problems)
    statuses: set[int] = set()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            def hostile(request: dict) -> None:
                headers = {name: value.encode("latin-1") for name, value in request["headers"].items()}  # as sent
                response = client.request(request["method"], request["url"], content=request["content"],
                                          headers=headers)
                statuses.add(response.status_code)
                assert response.status_code < 500 or allowed_5xx(response), \
                    f"{request}: {response.status_code} {response.text[:500]}"
                assert "Traceback" not in response.text, request
                if response.headers.get("content-type", "").startswith("application/json"):
                    pydantic_core.from_json(response.content, allow_inf_nan=False)  # writable, strict JSON
                assert not problems.problems, f"{request}: {problems.problems}"

            test = given(request=hostile_requests(operations, components, api_key))(hostile)
            for request in reversed(explicit):
                test = example(request=request)(test)
            settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                     phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))(test)()
    finally:
        root.removeHandler(problems)
    return statuses
