"""A fast MIME parse that returns exactly what the email package's parser returns.

``BytesParser(policy=compat32).parsebytes`` (the feedparser) reads a message line by line
and tests every line against a boundary pattern: for a message with a few hundred KB of
base64 that is thousands of Python steps and most of the sanitiser's parse time. This
module walks the same grammar over the whole text instead: the boundary patterns are
only tried on lines that start with ``--`` (found with ``str.find``), a leaf's payload is
one slice, and only header blocks are read line by line.

A parse differential would be a filter bypass, so the fast path covers only ordinary
mail, where its result has been shown equal to the feedparser's (tests/mailsan/
test_mime_fast.py compares whole trees on every corpus and on generated awkward mail).
Anything else -- a bare CR, a header or structure defect, a line that starts like a
boundary but is not one, repeated delimiters, a missing close delimiter, text after a
close delimiter that looks like a boundary, message/* parts, multipart/digest, nesting
deeper than a few levels -- makes :func:`fast_parse` give up, and :func:`parse` returns
the feedparser's own result for the whole message.
"""

from __future__ import annotations

import email.policy
import re
from email.message import Message
from email.parser import BytesParser

_POLICY = email.policy.compat32
# The feedparser's own patterns (email/feedparser.py), copied: a test holds them equal.
HEADER_RE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
MAX_DEPTH = 8  # nested multiparts followed by the fast path; deeper mail is rare


class _Fallback(Exception):  # noqa: N818 - control flow, not an error
    """The input is outside what the fast path reproduces exactly."""


def parse(raw: bytes) -> Message:
    """The message tree of ``raw``: equal to ``BytesParser(policy=compat32).parsebytes(raw)``
    (the fast path when it applies, else that parser itself)."""
    try:
        msg = fast_parse(raw)
    except Exception:  # noqa: BLE001 - any surprise: the reference parser decides
        msg = None
    if msg is None:
        msg = BytesParser(policy=_POLICY).parsebytes(raw)
    return msg


def fast_parse(raw: bytes) -> Message | None:
    """The tree by the fast path, or None when the message is outside it."""
    try:
        return _fast(raw)
    except _Fallback:
        return None


def fallback_reason(raw: bytes) -> str | None:
    """Why :func:`parse` leaves ``raw`` to the email package's parser; None when the fast
    path applies (for tests and the benchmark: ordinary mail must not fall back)."""
    try:
        _fast(raw)
    except _Fallback as exc:
        return str(exc)
    return None


def _fast(raw: bytes) -> Message:
    text = raw.decode("ascii", "surrogateescape")  # as BytesParser decodes
    # This parser ends lines at "\n" only; the feedparser also at a bare CR. Outside header
    # blocks (checked line by line) that changes nothing unless the line after a bare CR
    # could be a boundary, i.e. starts with "--".
    if "\r--" in text:
        raise _Fallback("a bare CR before '--'")
    msg, stop = _Walk(text).part(0, [])
    if stop != len(text):  # pragma: no cover - a top-level part always runs to the end
        raise _Fallback("stopped before the end")
    return msg


def boundary_re(boundary: str) -> re.Pattern[str]:
    """The feedparser's boundary pattern (FeedParser._parsegen), for the tests: this module
    matches the same lines without compiling it (see ``_Level.match``)."""
    return re.compile(
        "(?P<sep>"
        + re.escape("--" + boundary)
        + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


# What follows the separator on a boundary line: the feedparser's pattern after its
# literal "--boundary" part.
_AFTER_SEPARATOR = re.compile(r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")


def _strip_eol(value: str) -> str:
    """The feedparser's NLCRE_eol cut: the last line break belongs to the boundary."""
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith("\n"):
        return value[:-1]
    return value


def _set_headers(msg: Message, lines: list[str]) -> None:
    """FeedParser._parse_headers for a block without defects (any: fall back)."""
    name_lines: list[str] = []
    for number, line in enumerate(lines):
        if line[0] in " \t":
            if not name_lines:
                raise _Fallback("FirstHeaderLineIsContinuationDefect")
            name_lines.append(line)
            continue
        if name_lines:
            msg.set_raw(*_POLICY.header_source_parse(name_lines))
            name_lines = []
        if line.startswith("From "):
            if number != 0:
                raise _Fallback("misplaced envelope header")
            msg.set_unixfrom(_strip_eol(line))
            continue
        if line.startswith(":"):
            raise _Fallback("InvalidHeaderDefect")
        name_lines = [line]
    if name_lines:
        msg.set_raw(*_POLICY.header_source_parse(name_lines))


class _Level:
    """One enclosing multipart's boundary."""

    __slots__ = ("separator",)

    def __init__(self, boundary: str) -> None:
        self.separator = "--" + boundary

    def match(self, line: str) -> re.Match[str] | None:
        """``boundary_re(boundary).match(line)``'s outcome: that pattern is a literal
        separator, then a tail that does not depend on the boundary, so the literal is
        compared as a prefix and only the tail is matched. Every message has boundaries
        of its own, and compiling a pattern for each costs more than the rest of a parse
        (the feedparser does it)."""
        if not line.startswith(self.separator):
            return None
        return _AFTER_SEPARATOR.match(line, len(self.separator))


class _Walk:
    def __init__(self, text: str) -> None:
        self.text = text
        self.end = len(text)

    # --- lines -------------------------------------------------------------------------

    def _line_end(self, start: int) -> int:
        nl = self.text.find("\n", start)
        return self.end if nl < 0 else nl + 1

    def _dash_lines(self, start: int) -> int:
        """The first line at or after ``start`` (a line start) that begins with '--'."""
        if self.text.startswith("--", start):
            return start
        found = self.text.find("\n--", start)
        return self.end if found < 0 else found + 1

    def _classify(self, start: int, levels: list[_Level]) -> tuple[list[bool], bool]:
        """Which enclosing boundaries the line at ``start`` matches, and whether it is a
        close delimiter of the innermost one it matches. A line that begins with some
        separator without being that boundary (trailing junk, or a boundary that is a
        prefix of another) is not followed: fall back."""
        line = self.text[start : self._line_end(start)]
        hits: list[bool] = []
        close = False
        for level in levels:
            match = level.match(line)
            if match is None and line.startswith(level.separator):
                raise _Fallback("a line that starts like a boundary but is not one")
            hits.append(match is not None)
            if match is not None:
                close = match.group("end") is not None
        return hits, close

    def _next_boundary(self, start: int, levels: list[_Level]) -> tuple[int, list[bool], bool]:
        """The first line at or after ``start`` matching any of ``levels``; (end, [], False)
        when there is none."""
        if not levels:
            return self.end, [], False
        pos = self._dash_lines(start)
        while pos < self.end:
            hits, close = self._classify(pos, levels)
            if any(hits):
                return pos, hits, close
            pos = self._dash_lines(self._line_end(pos))
        return self.end, [], False

    # --- parts -------------------------------------------------------------------------

    def _headers(self, msg: Message, start: int, levels: list[_Level]) -> int:
        """Read the header block at ``start`` into ``msg``; the body's start."""
        pos = start
        lines: list[str] = []
        while True:
            if pos >= self.end:
                raise _Fallback("no header/body separator before the end")
            stop = self._line_end(pos)
            line = self.text[pos:stop]
            cr = line.find("\r")
            if cr >= 0 and (cr != len(line) - 2 or not line.endswith("\r\n")):
                raise _Fallback("a bare CR in a header block")
            if line.startswith("--") and levels and any(self._classify(pos, levels)[0]):
                raise _Fallback("a boundary inside the header block")
            if HEADER_RE.match(line) is None:
                if line not in ("\n", "\r\n"):
                    raise _Fallback("MissingHeaderBodySeparatorDefect")
                _set_headers(msg, lines)
                return stop
            lines.append(line)
            pos = stop

    def part(self, start: int, levels: list[_Level]) -> tuple[Message, int]:
        """Parse the part at ``start`` whose enclosing boundaries are ``levels``; returns
        it and the start of the line that ends it (a boundary line of ``levels``)."""
        msg = Message(policy=_POLICY)
        body = self._headers(msg, start, levels)
        maintype = msg.get_content_maintype()
        if maintype == "message":
            raise _Fallback("message/rfc822, delivery-status: the feedparser's own rules")
        if maintype != "multipart":
            stop, _, _ = self._next_boundary(body, levels)
            payload = self.text[body:stop]
            # In a multipart, the line break before the next boundary belongs to it.
            msg.set_payload(_strip_eol(payload) if levels else payload)
            return msg, stop
        return self._multipart(msg, body, levels)

    def _multipart(self, msg: Message, body: int, outer: list[_Level]) -> tuple[Message, int]:
        levels = [*outer, self._level(msg, depth=len(outer))]
        depth = len(outer)
        # The preamble: up to the first delimiter of this multipart.
        pos, hits, close = self._next_boundary(body, levels)
        if not hits or any(hits[:depth]) or close:
            raise _Fallback("StartBoundaryNotFoundDefect, or an outer boundary first")
        if pos > body:
            msg.preamble = _strip_eol(self.text[body:pos])
        while True:
            # ``pos`` is a delimiter line of this multipart.
            start = self._line_end(pos)
            if start >= self.end:
                raise _Fallback("CloseBoundaryNotFoundDefect")
            if self.text.startswith("--", start) and any(self._classify(start, levels)[0]):
                raise _Fallback("repeated delimiters: the feedparser skips them")
            part, pos = self.part(start, levels)
            msg.attach(part)
            if pos >= self.end:
                raise _Fallback("CloseBoundaryNotFoundDefect")
            hits, close = self._classify(pos, levels)
            if any(hits[:depth]) or not hits[depth]:
                raise _Fallback("an outer boundary inside this multipart")
            if close:
                break
        # The epilogue: after the close delimiter, up to the enclosing boundary.
        after = self._line_end(pos)
        stop, hits, _ = self._next_boundary(after, levels)
        if hits and hits[depth]:
            raise _Fallback("a delimiter of this multipart after its close")
        # As the feedparser: the epilogue starts after the close delimiter's line break,
        # and is empty when that line ends the input.
        epilogue = self.text[after:stop]
        if outer:
            if stop >= self.end:
                raise _Fallback("the enclosing multipart is never closed")
            # The line break before the enclosing boundary belongs to it; none left: None.
            msg.epilogue = _strip_eol(epilogue) if epilogue else None
        else:
            msg.epilogue = epilogue
        return msg, stop

    @staticmethod
    def _level(msg: Message, depth: int) -> _Level:
        """The boundary of a multipart the fast path can follow."""
        if depth >= MAX_DEPTH:
            raise _Fallback(f"multiparts nested deeper than {MAX_DEPTH}")
        if msg.get_content_type() == "multipart/digest":
            raise _Fallback("multipart/digest: its parts default to message/rfc822")
        boundary = msg.get_boundary()
        if not boundary or "\r" in boundary or "\n" in boundary:
            raise _Fallback("NoBoundaryInMultipartDefect, or a boundary no line can match")
        encoding = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if encoding not in ("7bit", "8bit", "binary"):
            raise _Fallback("InvalidMultipartContentTransferEncodingDefect")
        return _Level(boundary)
