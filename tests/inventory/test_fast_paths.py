"""The fast paths of loading and dumping give exactly what the generic PyYAML paths give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ictinfra.inventory import load_inventory
from ictinfra.inventory.ansible import (
    ansible_hosts_yaml,
    build_ansible_inventory,
    dump_yaml,
    group_name,
)
from ictinfra.inventory.loader import _construct, _Loader, inventory_files

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# Documents that exercise every branch: scalars of each implicit type, nested duplicate
# keys (bool/int keys that compare equal), aliases of maps and lists (shared and
# recursive), explicit tags, merge keys, complex keys, bad timestamps, unknown tags.
DOCUMENTS = {
    "scalars": (
        "a: 1\nb: 1.5e3\nc: .nan\nd: ~\ne: yes\nf: 0o17\ng: 0x1F\nh: 1_000\n"
        "i: 2024-01-02\nj: 2024-01-02 10:00:00\nk: '12'\nl: 三重県\nm: ''\nn: -.inf\n"
    ),
    "duplicates": "a: 1\na: 2\nb: {x: 1, x: 2, y: [1, {z: 3, z: 4}]}\n1: one\ntrue: t\n",
    "duplicates-nested-first": "a:\n  b: 1\n  b: 2\na: 3\n",
    "aliases": "base: &b {x: 1, y: [1, 2]}\nn: *b\nlist: &l [1, 2]\nm: [*l, *l]\ns: &s v\nt: *s\n",
    "duplicate-inside-alias": "base: &b {x: 1, x: 2}\nn: *b\nm: *b\n",
    "recursive": "x: &a [1, *a]\ny: &m {self: *m}\n",
    "tags": "a: !!str 12\nb: !!binary aGVsbG8=\nc: !!set {x, y}\nd: !!omap [a: 1]\n",
    "merge": "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "complex-key": "? [a, b]\n: 1\n",
    "unknown-tag": "a: !custom x\n",
    "empty": "",
    "scalar-document": "just text\n",
}


def _both(text: str) -> tuple[Any, Any]:
    """(fast, generic) outcomes: (data, sorted duplicates) or (exception type, message)."""
    out = []
    for fast in (True, False):
        loader = _Loader(text)
        loader.duplicates = []
        try:
            node = loader.get_single_node()
            if node is None:
                data = None
            else:
                data = _construct(loader, node) if fast else loader.construct_document(node)
            out.append((repr(data), sorted(loader.duplicates), _shape(data)))
        except Exception as exc:  # noqa: BLE001 - the two paths must fail alike
            out.append((type(exc).__name__, str(exc)))
        finally:
            loader.dispose()
    return out[0], out[1]


def _shape(data: Any) -> list[tuple[str, int]]:
    """Types in walk order and which containers are shared (aliases): identity matters."""
    seen: dict[int, int] = {}
    out: list[tuple[str, int]] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict | list):
            if id(obj) in seen:
                out.append(("alias", seen[id(obj)]))
                return
            seen[id(obj)] = len(seen)
            out.append((type(obj).__name__, seen[id(obj)]))
            for item in obj.values() if isinstance(obj, dict) else obj:
                walk(item)
        else:
            out.append((type(obj).__name__, -1))

    walk(data)
    return out


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_fast_construction_equals_the_generic_constructor(name: str) -> None:
    fast, generic = _both(DOCUMENTS[name])
    assert fast == generic


def test_a_bad_scalar_is_located_where_the_generic_constructor_only_fails() -> None:
    """A 13th month: the generic constructor raises a bare ValueError (no line); the fast
    one says where, so that the loader reports it at its file:line."""
    fast, generic = _both("a: 1\nb: 2024-13-45\n")
    assert generic[0] == "ValueError"
    assert fast[0] == "BadScalarError"
    assert "'2024-13-45' is not a valid timestamp" in fast[1]
    assert "line 2" in fast[1]


def test_fast_construction_reports_nested_duplicates_with_their_lines() -> None:
    fast, _ = _both(DOCUMENTS["duplicates"])
    assert fast[1] == [
        (2, "duplicate key 'a'"),
        (3, "duplicate key 'x'"),
        (3, "duplicate key 'z'"),
        (5, "duplicate key 'True'"),
    ]


@pytest.mark.parametrize("folder", [ROOT / "inventory", FIXTURES / "minimal"])
def test_fast_construction_of_every_inventory_file(folder: Path) -> None:
    files = inventory_files(folder)
    assert files
    for path in files:
        fast, generic = _both(path.read_text(encoding="utf-8"))
        assert fast == generic, path


def _generic_dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        data, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=False
    )
    return text


SHARED = {"k": "v"}
SHARED_LIST = [1, 2]

DATA = {
    "plain": {"a": 1, "b": "text", "c": None, "d": True, "e": False, "f": [], "g": {}},
    "strings needing quotes": {
        "yes": "yes",
        "null": "null",
        "number": "1.0",
        "octal": "0o17",
        "date": "2024-01-02",
        "empty": "",
        "colon": "a: b",
        "hash": "#x",
        "star": "*x",
        "lead space": " x",
        "multi": "line one\nline two\n",
        "unicode": "業務システム1",
        "long": "word " * 40,
        "tilde": "~",
    },
    "aliases": {"one": SHARED, "two": SHARED, "list": [SHARED_LIST, SHARED_LIST]},
    "nested": {"all": {"hosts": {"h1": {"x": [1, {"y": [True, None]}]}, "h2": None}}},
    "int keys": {1: "a", 2: ["b"]},
    "unusual types fall back": {"float": 1.5, "tuple": (1, 2)},
    "top-level list": [1, "two", {"three": 3}],
    "top-level scalar": "just text",
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_dump_yaml_equals_the_generic_dumper(name: str) -> None:
    assert dump_yaml(DATA[name]) == _generic_dump(DATA[name])


def test_dump_yaml_refuses_what_the_generic_dumper_refuses() -> None:
    class Odd:
        pass

    with pytest.raises(yaml.representer.RepresenterError):
        _generic_dump({"x": Odd()})
    with pytest.raises(yaml.representer.RepresenterError):
        dump_yaml({"x": Odd()})


@pytest.mark.parametrize("folder", [ROOT / "inventory", FIXTURES / "minimal"])
def test_static_ansible_inventory_is_the_generic_dump(folder: Path) -> None:
    inv = load_inventory(folder)
    data = build_ansible_inventory(inv).to_yaml_data()
    expected = "# Rendered by ictinfra from the inventory.\n" + _generic_dump(data)
    assert ansible_hosts_yaml(inv) == expected
    assert yaml.safe_load(ansible_hosts_yaml(inv)) == yaml.safe_load(expected)


def test_group_names_are_identifiers() -> None:
    assert group_name("site", "Iga-Ueno 1") == "site_iga_ueno_1"
    assert group_name("system", "SYS-001") == "system_sys_001"


@pytest.mark.parametrize(
    "implicit", [(True, False), (False, True), (True, True), (False, False)], ids=str
)
def test_cached_resolve_answers_as_the_resolver(implicit: tuple[bool, bool]) -> None:
    from ictinfra.inventory.loader import cached_resolve  # noqa: PLC0415

    resolver = yaml.resolver.Resolver()
    values = [
        "", "~", "null", "Null", "yes", "No", "on", "off", "true", "1", "-1", "0o17", "0x1f",
        "1_000", "1.5", ".inf", "-.Inf", ".nan", "2024-01-02", "2024-01-02 10:00:00", "<<",
        "=", "text", "10.1.2.3", "10.1.2.0/24", "三重県", "1:20", "+12", "0b101",
    ]  # fmt: skip
    for value in values * 2:  # the second pass answers from the memo
        expected = resolver.resolve(yaml.ScalarNode, value, implicit)
        assert cached_resolve(yaml.ScalarNode, value, implicit) == expected, value
    for kind in (yaml.MappingNode, yaml.SequenceNode):
        assert cached_resolve(kind, None, True) == resolver.resolve(kind, None, True)
