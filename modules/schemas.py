"""`RequestBody`: the base of every app's JSON request body models, validated in pydantic's strict mode.

In its default (lax) mode pydantic converts what looks convertible: `"5"` or `5.0` is taken for the integer 5, and
`"yes"`, `"on"`, `"1"` or `1` for True. A JSON body carries its types, so a client that sends a string where the API
documents a number is wrong, and it gets a 422 naming the field (`int_type`: "Input should be a valid integer")
instead of an answer to a question it did not ask. Query and path parameters are not bodies - they are strings on
the wire - and FastAPI still parses them (`?page=2`, `/words/7`).

Strictness is a model's own setting, not inherited by the models it holds: a nested model derives from
RequestBody too (`modules.tests.support.lax_request_bodies` finds one that does not).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(strict=True)
