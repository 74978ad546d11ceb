"""Load the inventory folder whole and report every problem at once, with file and line.

Each YAML file is a mapping of *sections* (``sites``, ``devices``, ``systems``...). List
sections may be split over many files; mapping sections (``organisation``,
``mail_policy``) appear once. Items are validated one section at a time with pydantic;
the cross checks in ``checks`` then run on the whole.
"""

from __future__ import annotations

import difflib
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ictinfra.inventory.errors import InventoryError, Problem
from ictinfra.inventory.model import (
    Device,
    Flow,
    Hypervisor,
    Inventory,
    MailPolicy,
    Organisation,
    Segment,
    Site,
    System,
    Vendor,
    Zone,
)

ANSIBLE_ENTRY = "ictinfra.yml"  # the Ansible inventory plugin's file, not data
SKIPPED_DIRS = frozenset({"group_vars", "host_vars", "inventory_plugins"})

LIST_SECTIONS: dict[str, type[BaseModel]] = {
    "sites": Site,
    "zones": Zone,
    "segments": Segment,
    "devices": Device,
    "systems": System,
    "hypervisors": Hypervisor,
    "vendors": Vendor,
    "flows": Flow,
}
MAPPING_SECTIONS: dict[str, type[BaseModel]] = {
    "organisation": Organisation,
    "mail_policy": MailPolicy,
}
ALL_SECTIONS = (*MAPPING_SECTIONS, *LIST_SECTIONS)
KEY_FIELDS = {"devices": "hostname", "hypervisors": "name"}  # others are keyed by "id"


def _list_adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


_ADAPTERS = {name: _list_adapter(model) for name, model in LIST_SECTIONS.items()}


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# PyYAML's implicit rules, those of its safe loader and dumper (class-level, without path
# resolvers): one resolver answers for both.
_RESOLVER = yaml.resolver.Resolver()
STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
_STR, _MAP, _SEQ = STR_TAG, MAP_TAG, SEQ_TAG
# Plain scalars the safe constructor turns into values by one method, without children.
_SCALARS = frozenset(
    f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp")
)
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar -> its implicit tag, bounded below


def cached_resolve(kind: type[yaml.Node], value: Any, implicit: Any) -> str:
    """``Resolver.resolve``, remembered for plain scalars.

    Inventories repeat the same scalars (zones, platforms, numbers) thousands of times; the
    regex walk of the resolver was the largest single cost of loading at scale. Set as an
    instance attribute (``self.resolve``), libyaml's parser and emitter call it directly.
    Without path resolvers, a scalar's tag depends only on its text when it may be plain
    (``implicit[0]``) and is the default (string) tag otherwise.
    """
    if kind is yaml.ScalarNode:
        if not implicit[0]:
            return _STR
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = _RESOLVER.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(_PLAIN_TAGS) < 1 << 17:
                _PLAIN_TAGS[value] = tag
        return tag
    resolved: str = _RESOLVER.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
    return resolved


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that refuses duplicate keys instead of keeping the last silently."""

    duplicates: list[tuple[int, str]]

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.resolve = cached_resolve

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: FBT001, FBT002
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int) and key in seen:
                self.duplicates.append((key_node.start_mark.line + 1, f"duplicate key '{key}'"))
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class _Unusual(Exception):  # noqa: N818 - a signal inside this module, not an error
    """A document the plain construction does not cover: the generic constructor builds it."""


class BadScalarError(yaml.MarkedYAMLError):
    """A scalar of a resolved type that does not hold a value of it (a 13th month)."""


def _construct(loader: _Loader, root: yaml.Node) -> Any:
    """The document's data, as ``loader.construct_document(root)`` builds it.

    The generic constructor dispatches every node through several Python calls and
    generator steps; inventories are plain maps, lists and scalars, built here directly:
    duplicate keys are reported the same way, and a map or list reached again through an
    alias is the same object, registered before it is filled (as the generic constructor
    does). Anything else (other tags, merge keys, complex keys, an error) is left to the
    generic constructor, which decides exactly as before.
    """
    scalars = loader.yaml_constructors
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    duplicates = loader.duplicates
    made: dict[int, Any] = {}  # id of a map/list node -> its object (aliases share nodes)

    def scalar(node: yaml.Node) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag in _SCALARS:
            try:
                return scalars[node.tag](loader, node)
            except (ValueError, OverflowError) as exc:  # e.g. a date like 2024-13-45
                kind = node.tag.rsplit(":", 1)[-1]
                raise BadScalarError(
                    None, None, f"'{node.value}' is not a valid {kind}: {exc}", node.start_mark
                ) from exc
        raise _Unusual  # merge keys (<<), '=' keys, other tags

    def mapping(node: yaml.Node) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        made[id(node)] = out
        keys = []
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.__class__ is not scalar_node:
                raise _Unusual  # complex keys
            key = scalar(key_node)
            if isinstance(key, str | int) and key in seen:
                duplicates.append((key_node.start_mark.line + 1, f"duplicate key '{key}'"))
            seen.add(key)
            keys.append(key)
        for key, (_, value_node) in zip(keys, node.value, strict=True):
            # Most values are strings: taken here without a call.
            if value_node.__class__ is scalar_node and value_node.tag == _STR:
                out[key] = value_node.value
            else:
                out[key] = build(value_node)
        return out

    def build(node: yaml.Node) -> Any:
        kind = node.__class__
        if kind is scalar_node:
            return scalar(node)
        known = made.get(id(node))
        if known is not None:
            return known
        if kind is mapping_node and node.tag == _MAP:
            return mapping(node)
        if kind is sequence_node and node.tag == _SEQ:
            sequence: list[Any] = []
            made[id(node)] = sequence
            sequence.extend(build(item) for item in node.value)
            return sequence
        raise _Unusual

    try:
        return build(root)
    except BadScalarError:
        raise
    except (_Unusual, yaml.YAMLError, ValueError, TypeError, RecursionError):
        del duplicates[:]
        return loader.construct_document(root)


@dataclass(frozen=True)
class Where:
    """Where an item or a value of it sits: file (relative), the YAML node for its lines."""

    file: str
    node: yaml.Node

    def line(self, *path: str | int) -> int:
        """Line of the deepest node along ``path`` (1-based); the item's own line if absent."""
        return int(self.at(*path).node.start_mark.line) + 1

    def key_line(self, key: str) -> int:
        """Line of a mapping key itself (for 'unknown field')."""
        if isinstance(self.node, yaml.MappingNode):
            for key_node, _ in self.node.value:
                if key_node.value == key:
                    return int(key_node.start_mark.line) + 1
        return self.line()

    def at(self, *path: str | int) -> Where:
        """The deepest node along ``path`` that exists."""
        node = self.node
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
        return Where(self.file, node)

    def problem(self, message: str, *path: str | int) -> Problem:
        return Problem(self.file, self.line(*path), message)


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key_node, value_node in node.value:
            if key_node.value == step:
                return value_node  # type: ignore[no-any-return]
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        return node.value[step]  # type: ignore[no-any-return]
    return None


@dataclass
class Located:
    """Items of every section, each with where it came from, before cross checks."""

    sections: dict[str, list[tuple[Any, Where]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Keys of items that failed validation: references to them are not reported again.
    invalid_keys: dict[str, set[str]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def items(self, section: str) -> list[tuple[Any, Where]]:
        return self.sections.get(section, [])


def inventory_files(root: Path) -> list[Path]:
    """Every data file of the inventory, in a stable order."""
    out: list[Path] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in rel.parts):
            continue
        if path.suffix in {".yml", ".yaml"} and path.is_file() and rel.as_posix() != ANSIBLE_ENTRY:
            out.append(path)
    return out


def _read(path: Path, rel: str, located: Located) -> tuple[yaml.Node, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        located.problems.append(Problem(rel, 1, f"not UTF-8 text: {exc.reason}"))
        located.unreadable.append(rel)
        return None
    loader = _Loader(text)
    loader.duplicates = []
    try:
        node = loader.get_single_node()
        data = None if node is None else _construct(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        kind = "bad value" if isinstance(exc, BadScalarError) else "YAML syntax error"
        located.problems.append(Problem(rel, line, f"{kind}: {what}"))
        located.unreadable.append(rel)
        return None
    except (ValueError, TypeError, OverflowError) as exc:  # the generic constructor's
        located.problems.append(Problem(rel, 1, f"bad value: {exc}"))
        located.unreadable.append(rel)
        return None
    except yaml.YAMLError as exc:
        located.problems.append(Problem(rel, 1, f"YAML error: {exc}"))
        located.unreadable.append(rel)
        return None
    finally:
        loader.dispose()
    located.problems.extend(Problem(rel, line, msg) for line, msg in loader.duplicates)
    if node is None:
        return None
    return node, data


def read_sections(root: Path) -> Located:
    """Read and validate item by item every file under ``root``; no cross checks."""
    located = Located()
    if not root.is_dir():
        located.problems.append(Problem(str(root), None, "inventory folder not found"))
        return located
    files = inventory_files(root)
    if not files:
        located.problems.append(Problem(".", None, "no inventory files (*.yml) in the folder"))
    mapping_seen: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        read = _read(path, rel, located)
        if read is None:
            continue
        node, data = read
        where = Where(rel, node)
        if not isinstance(data, dict):
            located.problems.append(where.problem("a file holds a mapping of sections"))
            continue
        for section, value in data.items():
            if section in MAPPING_SECTIONS:
                if section in mapping_seen:
                    located.problems.append(
                        Problem(
                            rel,
                            where.key_line(section),
                            f"section '{section}' already given in {mapping_seen[section]}",
                        )
                    )
                    continue
                mapping_seen[section] = rel
                _validate_mapping(section, value, where.at(section), located)
            elif section in LIST_SECTIONS:
                _validate_list(section, value, where.at(section), located)
            else:
                located.problems.append(
                    Problem(
                        rel,
                        where.key_line(str(section)),
                        _unknown(str(section), ALL_SECTIONS, "section"),
                    )
                )
    for section in MAPPING_SECTIONS:
        if section not in mapping_seen and not located.unreadable:
            located.problems.append(
                Problem(".", None, f"missing section '{section}' (no file defines it)")
            )
    return located


def _validate_mapping(section: str, value: Any, where: Where, located: Located) -> None:
    model = MAPPING_SECTIONS[section]
    try:
        obj = model.model_validate(value)
    except ValidationError as exc:
        located.problems.extend(_problems(exc, where, model))
        return
    located.sections.setdefault(section, []).append((obj, where))


def _validate_list(section: str, value: Any, where: Where, located: Located) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        located.problems.append(where.problem(f"section '{section}' must be a list"))
        return
    model = LIST_SECTIONS[section]
    try:
        objs = _ADAPTERS[section].validate_python(value)
    except ValidationError as exc:
        located.problems.extend(_problems(exc, where, model))
        # Keep the valid items: cross checks still report what else is wrong.
        bad = {int(err["loc"][0]) for err in exc.errors() if err["loc"]}
        objs = [model.model_validate(v) if i not in bad else None for i, v in enumerate(value)]
        key = KEY_FIELDS.get(section, "id")
        located.invalid_keys.setdefault(section, set()).update(
            str(value[i][key]) for i in bad if isinstance(value[i], dict) and key in value[i]
        )
    bucket = located.sections.setdefault(section, [])
    # The section is a YAML sequence here (its data is a list): item i is its i-th node.
    items = where.node.value if isinstance(where.node, yaml.SequenceNode) else None
    bucket.extend(
        (obj, Where(where.file, items[i]) if items is not None else where.at(i))
        for i, obj in enumerate(objs)
        if obj is not None
    )


def _problems(exc: ValidationError, where: Where, model: type[BaseModel]) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = where.at(*loc[:-1])
            name = str(loc[-1])
            fields = _fields_at(model, loc[:-1])
            yield Problem(where.file, parent.key_line(name), _unknown(name, fields, "field"))
        elif kind == "missing":
            yield Problem(where.file, where.line(*loc), f"missing required field '{_dotted(loc)}'")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = (
                "" if isinstance(got, dict | list) or kind == "value_error" else f" (got {got!r})"
            )
            label = _dotted(loc)
            prefix = f"{label}: " if label else ""
            yield Problem(where.file, where.line(*loc), f"{prefix}{msg}{shown}")


def _dotted(loc: Sequence[str | int]) -> str:
    """'devices[3].interfaces[0].address' style, without the list index of the item itself."""
    parts: list[str] = []
    for step in loc[1:] if loc and isinstance(loc[0], int) else loc:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step in {"function-after", "function-before"} or "[" in step:
            continue  # pydantic's validator frames
        else:
            parts.append(("." if parts else "") + step)
    return "".join(parts)


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> Sequence[str]:
    """Known field names of the (nested) model at ``loc``, for suggestions."""
    current: Any = model
    for step in loc:
        if isinstance(step, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(step)
        if info is None:
            return ()
        current = _model_in(info.annotation)
    return tuple(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unknown(name: str, known: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {what} '{name}'{hint}"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large acyclic structure is built.

    Loading (as dumping a large output) allocates millions of acyclic objects (YAML nodes,
    models); every few thousand allocations the collector would walk all of them again,
    which took half of the loading time at 10x (measured A/B in one process). Reference
    counting still frees what is thrown away; cycles, if any, wait for the collector's
    next pass (``./inv plan`` freezes the loaded inventory instead).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_inventory(root: Path | str) -> Inventory:
    """Load, validate and cross-check the inventory; raise ``InventoryError`` with every problem."""
    with collector_paused():
        return _load_inventory(Path(root))


def _load_inventory(root: Path) -> Inventory:
    from ictinfra.inventory.checks import cross_check  # noqa: PLC0415  (checks imports us)

    located = read_sections(root)
    problems = list(located.problems)
    inventory: Inventory | None = None
    # Cross checks need every file: a file that cannot be read would make them cry wolf.
    if not located.unreadable and all(section in located.sections for section in MAPPING_SECTIONS):
        inventory, more = cross_check(located)
        problems.extend(more)
    if problems or inventory is None:
        raise InventoryError(list(dict.fromkeys(problems)))
    return inventory
