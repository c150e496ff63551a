"""Request bodies derived from modules.schemas.RequestBody take JSON's types as they are: a string for a number is a
422 naming the field, the number itself is taken, and query and path parameters (strings on the wire) are still
parsed. `lax_request_bodies`, which each app's tests run on its routes, finds a body model - or a model inside one -
that is not strict."""
from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from modules.schemas import RequestBody
from modules.tests.support import lax_request_bodies


class Lax(BaseModel):
    count: int


class Nested(RequestBody):
    count: int
    inner: Lax


class Item(RequestBody):
    count: int
    done: bool = False


app = FastAPI()


@app.post("/items/{item_id}")
def post_item(item_id: int, item: Item, page: int = 1) -> dict:
    return {"item_id": item_id, "page": page, **item.model_dump()}


included = APIRouter(prefix="/included")


@included.post("/lax")
def post_lax(item: Lax) -> None:
    pass


@included.post("/nested")
def post_nested(item: Nested) -> None:
    pass


app.include_router(included)


def test_a_string_for_a_number_is_refused_naming_the_field_and_the_number_taken():
    client = TestClient(app)
    for body, field in (({"count": "5"}, "count"), ({"count": 5.0}, "count"), ({"count": 5, "done": "yes"}, "done"),
                        ({"count": 5, "done": 1}, "done")):
        response = client.post("/items/7", json=body)
        assert response.status_code == 422, body
        [problem] = response.json()["detail"]
        assert problem["loc"] == ["body", field], problem
        assert problem["type"] in {"int_type", "bool_type"}, problem
    taken = client.post("/items/7?page=2", json={"count": 5, "done": True})
    assert (taken.status_code, taken.json()) == (200, {"item_id": 7, "page": 2, "count": 5, "done": True})


def test_lax_bodies_are_found_even_inside_a_strict_one():
    assert lax_request_bodies(app) == ["POST /included/lax: Lax", "POST /included/nested: Lax"]
