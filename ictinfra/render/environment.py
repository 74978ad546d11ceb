"""The one Jinja2 environment: strict undefined, templates per platform family."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ictinfra.platforms import HERE as PLATFORMS_DIR

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _netmask(value: ipaddress.IPv4Interface | ipaddress.IPv4Network) -> str:
    return str(value.netmask)


def _wildcard(value: ipaddress.IPv4Interface | ipaddress.IPv4Network) -> str:
    return str(value.hostmask)


def _prefixlen(value: ipaddress.IPv4Interface | ipaddress.IPv4Network) -> int:
    net = value.network if isinstance(value, ipaddress.IPv4Interface) else value
    return net.prefixlen


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment, with ``x.name`` on a plain dict looked up as an item first.

    Template contexts are plain dicts: Jinja2 tries ``x.name`` as an attribute (an
    exception raised and caught at every lookup) before the item, which was a third of
    rendering. A plain dict has exactly the attributes of ``dict``, so for any other name
    the item is the answer Jinja2 would reach; a missing item falls back to Jinja2's own
    lookup (and its undefined).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@cache
def environment() -> jinja2.Environment:
    """Templates are found as ``<family>/<name>.j2`` (platforms) or ``<name>.j2`` (shared)."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            jinja2.PrefixLoader(
                {
                    family.name: jinja2.FileSystemLoader(str(family / "templates"))
                    for family in sorted(PLATFORMS_DIR.iterdir())
                    if (family / "templates").is_dir()
                }
            ),
        ]
    )
    env = _Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates ship with the package and never change while a plan runs: no stat()
        # of the template file on every render.
        auto_reload=False,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "svg.j2")),
    )
    env.filters["netmask"] = _netmask
    env.filters["wildcard"] = _wildcard
    env.filters["prefixlen"] = _prefixlen
    return env
