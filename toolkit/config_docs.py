"""docs/configuration.md, generated from the platform definition's models and platform.toml.

Each field's type, range and default come from the pydantic models; its meaning from the
field's description or the comment beside it in platform.toml; its value from the shipped
platform.toml. A test keeps the committed document equal to what this writes, as
terraform-docs does for modules.
"""
from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from toolkit.definition import DEFAULT_DEFINITION, REPO_ROOT, PlatformDefinition, load_platform

DOCUMENT = REPO_ROOT / "docs" / "configuration.md"
_HEADER = re.compile(r"^\[\[?([A-Za-z0-9_.]+)\]\]?")
_KEY = re.compile(r"^([A-Za-z0-9_]+)\s*=.*?#\s*(.+)$")


def toml_comments(path: Path = DEFAULT_DEFINITION) -> dict[str, str]:
    """{"containers.cpu": "1 vCPU", ...}: the comment beside each key (first occurrence)."""
    comments: dict[str, str] = {}
    table = ""
    for line in path.read_text().splitlines():
        header = _HEADER.match(line)
        if header:
            table = header.group(1)
            continue
        key = _KEY.match(line)
        if key:
            comments.setdefault(f"{table}.{key.group(1)}".lstrip("."), key.group(2).strip())
    return comments


def _type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (list, tuple):
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"table of {_type_name(key)} to {_type_name(value)}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "none"
    return getattr(annotation, "__name__", str(annotation))


def _constraints(info: FieldInfo) -> str:
    parts = []
    metadata = list(info.metadata)
    annotation = info.annotation
    while typing.get_origin(annotation) is typing.Annotated:
        metadata += [m for m in typing.get_args(annotation)[1:]]
        annotation = typing.get_args(annotation)[0]
    for item in metadata:
        if isinstance(item, FieldInfo):
            metadata += list(item.metadata)
            continue
        for attribute, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"),
                                  ("min_length", "at least"), ("max_length", "at most")):
            if isinstance(item, getattr(annotated_types, {"ge": "Ge", "gt": "Gt", "le": "Le", "lt": "Lt",
                                                           "min_length": "MinLen", "max_length": "MaxLen"}[attribute])):
                parts.append(f"{symbol} {getattr(item, attribute)}")
        if hasattr(item, "pattern") and item.pattern:
            parts.append(f"matches `{item.pattern}`")
    return ", ".join(parts)


def _nested_model(annotation) -> type[BaseModel] | None:
    for candidate in [annotation, *typing.get_args(annotation)]:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        inner = typing.get_args(candidate)
        for item in inner:
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item
    return None


def _rows(model: type[BaseModel], prefix: str, table: str, comments: dict[str, str], rows: list) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        nested = _nested_model(info.annotation)
        if nested is not None:
            origin = typing.get_origin(info.annotation)
            suffix = "[]" if origin is list else ".<name>" if origin is dict else ""
            nested_table = f"{table}.{name}" if table else name
            _rows(nested, path + suffix, nested_table, comments, rows)
            continue
        required = info.is_required()
        default = "required" if required else f"`{info.get_default(call_default_factory=True)!r}`"
        description = info.description or comments.get(f"{table}.{name}" if table else name, "")
        rows.append((path, _type_name(info.annotation), _constraints(info), default, description))


def field_rows() -> list[tuple[str, str, str, str, str]]:
    rows: list = []
    comments = toml_comments()
    # Tables whose TOML name differs from the field path (environments.dev, ai.denied_topics ...)
    # share comments through their table name.
    for alias in [k for k in comments if k.startswith("environments.")]:
        comments.setdefault("environments." + alias.split(".", 2)[-1], comments[alias])
    _rows(PlatformDefinition, "", "", comments, rows)
    return rows


def render() -> str:
    platform = load_platform(DEFAULT_DEFINITION, "dev")
    lines = [
        "# Configuration reference",
        "",
        "Generated from `toolkit/definition.py` and `platform.toml` by `python -m toolkit config-docs`;",
        "a test keeps this file current. Every value lives in `platform.toml`; a wrong one stops synth",
        "with a message naming the field and the value. `APP_DW_CONFIG` points at another file,",
        "`APP_DW_ENV` picks the environment (default `dev`).",
        "",
        f"The shipped definition: {len(platform.projects)} projects "
        f"({', '.join(p.name for p in platform.projects)}), environments "
        f"{', '.join(platform.environments)}.",
        "",
        "| field | type | allowed | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for path, type_name, allowed, default, description in field_rows():
        meaning = description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        lines.append(f"| `{path}` | {type_name} | {allowed or '-'} | {default} | {meaning or '-'} |")
    return "\n".join(lines) + "\n"


def write() -> Path:
    DOCUMENT.write_text(render())
    return DOCUMENT
