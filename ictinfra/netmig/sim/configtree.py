"""A simulated device's configuration: an ordered tree of lines and the rules to change it.

A real device keeps a parsed configuration and prints it back in its own canonical form.
The simulator approximates that with a one-level tree (sections such as ``interface X``
holding child lines) and per-platform *rules* (mostly data): which lines open a section,
which lines replace each other (same key), which ``no`` lines are statements of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Node:
    """One configuration line; sections hold children. Mutable: it is the device's state."""

    text: str
    children: list[Node] = field(default_factory=list)

    def copy(self) -> Node:
        return Node(self.text, [c.copy() for c in self.children])


@dataclass(frozen=True)
class TreeRules:
    """How one platform's configuration language behaves (data, compiled once)."""

    comment_prefixes: tuple[str, ...]
    sections: tuple[re.Pattern[str], ...]  # lines that open a section (at top level)
    keyed: tuple[re.Pattern[str], ...]  # group 1 is a key: same key replaces the old line
    literal_no: tuple[re.Pattern[str], ...]  # "no ..." lines stored as statements
    default_lines: tuple[re.Pattern[str], ...]  # lines meaning "back to default": remove key
    global_only: tuple[re.Pattern[str], ...]  # commands that leave a section when typed in it
    section_exit: tuple[re.Pattern[str], ...] = ()  # e.g. YAMAHA "pp select none"
    ignore: tuple[re.Pattern[str], ...] = ()  # lines a device never stores (e.g. "end")
    negation: str = "no "
    # key -> the line a section shows once the keyed line is removed ("no ip address")
    shown_default: tuple[tuple[str, str], ...] = ()
    sequenced: tuple[re.Pattern[str], ...] = ()  # sections whose entries drop "10 " numbers

    def key(self, text: str) -> str | None:
        for rx in self.keyed:
            m = rx.match(text)
            if m:
                return m.group(1)
        return None

    def opens_section(self, text: str) -> bool:
        return any(rx.match(text) for rx in self.sections)

    def is_global(self, text: str) -> bool:
        return self.opens_section(text) or any(rx.match(text) for rx in self.global_only)


def compile_all(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


BANNER = re.compile(r"^banner (\S+) (\S+)(.*)$")


class ConfigTree:
    """The running (or startup) configuration of a simulated device."""

    def __init__(self, rules: TreeRules, nodes: list[Node] | None = None) -> None:
        self.rules = rules
        self.nodes: list[Node] = nodes or []

    def copy(self) -> ConfigTree:
        return ConfigTree(self.rules, [n.copy() for n in self.nodes])

    # --- loading -------------------------------------------------------------------------

    @classmethod
    def parse(cls, rules: TreeRules, text: str) -> ConfigTree:
        """Load a configuration file: indented lines belong to the section above them."""
        tree = cls(rules)
        lines = text.splitlines()
        i = 0
        current: Node | None = None
        base = 0  # the indentation of the current section's first level
        while i < len(lines):
            raw = lines[i].rstrip()
            i += 1
            stripped = raw.strip()
            if not stripped or stripped.startswith(rules.comment_prefixes):
                continue
            if any(rx.match(stripped) for rx in rules.ignore):
                continue
            banner = BANNER.match(stripped)
            if banner and banner.group(2) not in banner.group(3):
                body = [stripped]
                while i < len(lines):
                    body.append(lines[i].rstrip())
                    i += 1
                    if banner.group(2) in body[-1]:
                        break
                tree.nodes.append(Node("\n".join(body)))
                current = None
                continue
            if raw[:1].isspace() and current is not None:
                depth = len(raw) - len(raw.lstrip())
                if not current.children:
                    base = depth
                # Deeper levels (an IOS address family) keep their extra indentation.
                tree.apply(" " * max(0, depth - base) + stripped, current)
                continue
            current = tree.apply(stripped, None)
        return tree

    # --- changing ------------------------------------------------------------------------

    def find_section(self, text: str) -> Node | None:
        return next((n for n in self.nodes if n.text == text), None)

    def apply(self, text: str, section: Node | None) -> Node | None:  # noqa: PLR0911 - one rule each
        """Apply one command in a context; returns the section the device is in afterwards."""
        rules = self.rules
        if section is not None and (
            (rules.is_global(text) and not text.startswith(" "))
            or any(rx.match(text) for rx in rules.section_exit)
        ):
            section = None
        if any(rx.match(text) for rx in rules.section_exit):
            return None
        if section is None and rules.opens_section(text):
            node = self.find_section(text)
            if node is None:
                node = Node(text)
                self.nodes.append(node)
            return node
        siblings = self.nodes if section is None else section.children
        if section is not None and any(rx.match(section.text) for rx in rules.sequenced):
            text = re.sub(r"^(no )?\d+ ", r"\1", text)
        neg = rules.negation
        if text.startswith(neg) and not any(rx.match(text) for rx in rules.literal_no):
            self._negate(text[len(neg) :], siblings, in_section=section is not None)
            return section
        if any(rx.match(text) for rx in rules.default_lines):
            _remove(rules, siblings, text)
            return section
        key = rules.key(text)
        for idx, node in enumerate(siblings):
            if node.text == text:
                return section
            if key is not None and rules.key(node.text) == key:
                siblings[idx] = Node(text, node.children)
                return section
        siblings.append(Node(text))
        return section

    def _negate(self, target: str, siblings: list[Node], *, in_section: bool) -> None:
        rules = self.rules
        _remove(rules, siblings, target)
        removed_key = rules.key(target)
        for key, shown in rules.shown_default if in_section else ():
            if removed_key == key and not any(rules.key(n.text) == key for n in siblings):
                siblings.append(Node(shown))

    # --- printing ------------------------------------------------------------------------

    def lines(self, indent: str = " ", separator: str | None = "!") -> list[str]:
        out: list[str] = []
        for node in self.nodes:
            out.extend(node.text.split("\n"))
            out.extend(indent + child.text for child in node.children)
            if separator is not None and node.children:
                out.append(separator)
        return out

    def sections(self, pattern: str) -> list[Node]:
        rx = re.compile(pattern)
        return [n for n in self.nodes if rx.match(n.text)]

    def top(self, pattern: str) -> list[re.Match[str]]:
        rx = re.compile(pattern)
        return [m for n in self.nodes if (m := rx.match(n.text))]


def _remove(rules: TreeRules, siblings: list[Node], target: str) -> None:
    key = rules.key(target)
    keep = [
        n
        for n in siblings
        if not (
            n.text == target
            or n.text.split("\n")[0] == target
            or n.text.startswith(target + " ")
            or (key is not None and rules.key(n.text) == key)
        )
    ]
    siblings[:] = keep
