"""The fast MIME parse (ictinfra.mailsan.mime) against the email package's own parser.

A difference between the tree the sanitiser reads and the one a mail client reads would
be a way around the filter, so every tree here is compared whole (class, headers in
order, payload strings, preamble, epilogue, defects, default type, envelope line) with
``BytesParser(policy=compat32)``'s: on every real corpus message, on the project's
composed mail and the benchmark's, and on generated awkward multiparts. Ordinary mail
must actually take the fast path (else the speed-up silently disappears), awkward mail
may fall back but must come out equal either way; and the sanitiser's output is the same
with the fast parse and with the email package's.
"""

from __future__ import annotations

import base64
import email.feedparser
import email.policy
import importlib.util
import random
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from email.message import Message
from email.parser import BytesParser
from types import ModuleType
from typing import Any

import pytest

from ictinfra.mailsan import DEFAULT_POLICY, mime, sanitise
from ictinfra.mailsan.sanitise import _b64
from tests.conftest import ROOT
from tests.mailsan import compose
from tests.mailsan.corpora import clamav_files, cpython_messages
from tests.mailsan.test_corpora_extra import mail_parser_mails, oletools_files

STDLIB = BytesParser(policy=email.policy.compat32)


def assert_same(fast: Message, ref: Message, where: str = "1") -> None:
    """Every attribute of two parsed trees equal, recursively."""
    assert type(fast) is type(ref), where
    assert fast.policy is ref.policy, where
    mine, theirs = vars(fast), vars(ref)
    assert set(mine) == set(theirs), where
    for key, value in theirs.items():
        other = mine[key]
        if key == "policy":
            continue
        if key == "defects":
            assert [(type(d), d.args) for d in other] == [(type(d), d.args) for d in value], (
                f"{where}: defects"
            )
        elif key == "_payload" and isinstance(value, list):
            assert isinstance(other, list), f"{where}: payload kind"
            assert len(other) == len(value), f"{where}: number of parts"
            for index, (a, b) in enumerate(zip(other, value, strict=True)):
                assert_same(a, b, f"{where}.{index}")
        else:
            assert type(other) is type(value), f"{where}.{key}"
            assert other == value, f"{where}.{key}: {other!r:.200} != {value!r:.200}"
    # The public view the sanitiser reads, as a second look.
    assert fast.get_unixfrom() == ref.get_unixfrom(), where
    assert fast.get_default_type() == ref.get_default_type(), where
    assert fast.is_multipart() == ref.is_multipart(), where
    assert list(fast.raw_items()) == list(ref.raw_items()), where


def check(raw: bytes) -> bool:
    """parse() equals the email package; returns whether the fast path was taken (and
    then its own tree is equal too)."""
    ref = STDLIB.parsebytes(raw)
    assert_same(mime.parse(raw), ref)
    fast = mime.fast_parse(raw)
    if fast is None:
        assert mime.fallback_reason(raw) is not None
        return False
    assert mime.fallback_reason(raw) is None
    assert_same(fast, ref)
    return True


def test_patterns_are_the_feedparsers() -> None:
    assert mime.HEADER_RE.pattern == email.feedparser.headerRE.pattern


def test_boundary_lines_match_as_the_feedparsers_pattern() -> None:
    """The fast path compares a boundary's separator as a prefix and matches only the
    rest: the same outcome as the feedparser's compiled pattern, on every kind of line."""
    rng = random.Random(7)  # noqa: S311 - reproducible cases, not cryptography
    boundaries = ["b", "a.b+", "X--", "=_Part_1.2", "(x)?[y]", "a b", "\\d", "--", "-"]
    pieces = ["", "--", "-", " ", "\t", "\r\n", "\n", "\r", "x", "b", "\f", "\x0b"]
    for boundary in boundaries:
        level = mime._Level(boundary)
        pattern = mime.boundary_re(boundary)
        for _ in range(300):
            tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
            head = rng.choice(["--" + boundary, "--" + boundary[:-1], "-" + boundary, ""])
            line = head + tail
            mine, theirs = level.match(line), pattern.match(line)
            assert (mine is None) == (theirs is None), (boundary, line)
            if mine is not None and theirs is not None:
                assert mine.group("end", "ws", "linesep") == theirs.group("end", "ws", "linesep")


# --- real and composed mail ------------------------------------------------------------


def _bench() -> ModuleType:
    """bench/mail_throughput.py (not a package), for its message generators."""
    name = "mail_throughput_bench"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "mail_throughput.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def ordinary_messages() -> Iterator[tuple[str, bytes]]:
    """Mail as mailers write it: each must take the fast path."""
    for charset in ("iso-2022-jp", "shift_jis", "euc-jp", "utf-8"):
        for html in (False, True):
            yield f"ja-{charset}-{html}", compose.raw_japanese(charset, html=html)
    attachments: dict[str, tuple[bytes, str]] = {
        "png": (compose.png(), "image/png"),
        "pdf-js": (compose.pdf_with_javascript(), "application/pdf"),
        "docm": (compose.docm_with_macros(), "application/octet-stream"),
        "zip": (compose.zip_of({"a.txt": b"hello", "b.png": compose.png()}), "application/zip"),
        "text": ("本文\r\n-- \r\n署名\r\n".encode(), "text/plain"),
    }
    for name, (data, ctype) in attachments.items():
        yield f"attach-{name}", compose.with_attachment(data, f"{name}.bin", ctype)
    bench = _bench()
    for kind, make in bench.KINDS.items():
        for i in (0, 7):
            yield f"bench-{kind}-{i}", make(i)


def test_composed_and_bench_mail_take_the_fast_path() -> None:
    for name, raw in ordinary_messages():
        for variant, data in (("", raw), ("-lf", raw.replace(b"\r\n", b"\n"))):
            assert check(data), f"{name}{variant}: {mime.fallback_reason(data)}"


def test_cpython_corpus() -> None:
    fast = [path.name for path in cpython_messages() if check(path.read_bytes())]
    # Most of CPython's test mail is deliberately odd (digests, rfc822 parts, defects),
    # the rest must be parsed by the fast path.
    assert len(fast) >= 20, fast


def test_mail_parser_corpus() -> None:
    mails = mail_parser_mails()
    fast = [name for name, raw in mails.items() if check(raw)]
    assert len(fast) >= len(mails) // 2, fast


def test_clamav_and_oletools_files_as_attachments() -> None:
    files = {p.name: p.read_bytes() for p in clamav_files()}
    files.update(oletools_files())
    for name, data in files.items():
        raw = compose.with_attachment(data, "file.bin")
        assert check(raw), f"{name}: {mime.fallback_reason(raw)}"


# --- generated awkward multiparts -------------------------------------------------------


class _Gen:
    """A random message and whether it is ordinary (the fast path must take it)."""

    SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    META = "'()+_,-./:=? .*[]^$|\\"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ordinary = True
        self.eol = rng.choice(["\r\n", "\n", "mixed"])
        self.boundaries: list[str] = []

    def awkward(self, chance: float) -> bool:
        if self.rng.random() < chance:
            self.ordinary = False
            return True
        return False

    def nl(self) -> str:
        return self.rng.choice(["\r\n", "\n"]) if self.eol == "mixed" else self.eol

    def boundary(self) -> str:
        rng = self.rng
        if self.boundaries and self.awkward(0.08):
            other = rng.choice(self.boundaries)
            value = rng.choice(
                [other, other[: max(1, len(other) // 2)], other + "x", other + "--", other[:-2]]
            )
            value = value or "z"
        elif rng.random() < 0.3:
            # Regular-expression metacharacters and RFC 2046 specials (never last a space).
            value = "".join(rng.choice(self.META + "ab") for _ in range(rng.randint(3, 20)))
            value = value.rstrip() or "z"
            value += rng.choice(self.SAFE)
        else:
            value = "".join(rng.choice(self.SAFE) for _ in range(rng.randint(1, 40)))
            if rng.random() < 0.2:
                value += "--"  # its delimiter looks like the close of a shorter one
        if any(a.startswith(value) or value.startswith(a) for a in self.boundaries):
            self.ordinary = False  # a prefix of another: lines that start like a boundary
        self.boundaries.append(value)
        return value

    def text_line(self) -> str:
        rng = self.rng
        boundary = rng.choice(self.boundaries) if self.boundaries else "b"
        odd = [
            lambda: "x" * rng.randint(998, 5000),  # very long
            lambda: "".join(chr(rng.randrange(0x80, 0x100)) for _ in range(20)),  # 8-bit
            lambda: f"see --{boundary} here",  # a boundary inside a line
            lambda: rng.choice(["-- ", "---", "--", "-----BEGIN-----", "--not-a-boundary"]),
            lambda: "=E3=81=82 quoted=\t",
            lambda: "",
        ]
        roll = int(rng.random() * 20)
        if roll < len(odd):
            return odd[roll]()
        return "".join(rng.choice(self.SAFE + " ") for _ in range(rng.randint(0, 76)))

    def body(self) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            data = rng.randbytes(rng.randint(0, 3000))
            encoded = base64.encodebytes(data).decode()
            return "".join(line + self.nl() for line in encoded.splitlines())
        return "".join(self.text_line() + self.nl() for _ in range(rng.randint(0, 8)))

    def headers(self, lines: list[str]) -> str:
        if self.awkward(0.02):
            lines = [" continuation first", *lines]
        if self.awkward(0.02):
            lines = [*lines, "From someone misplaced"]
        return "".join(line + self.nl() for line in lines)

    def leaf(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            head = ""  # no headers at all: text/plain by default
        elif kind < 0.5:
            head = self.headers(["Content-Type: text/plain; charset=utf-8"])
        elif kind < 0.8:
            head = self.headers(
                [
                    "Content-Type: application/octet-stream;",
                    '\tname="a.bin"',
                    "Content-Transfer-Encoding: base64",
                ]
            )
        else:
            head = self.headers(["Content-Transfer-Encoding: quoted-printable", "X-Empty:"])
        if self.awkward(0.03):
            return head + self.body()  # no blank line: MissingHeaderBodySeparatorDefect
        if self.awkward(0.03):
            return self.headers(["Content-Type: message/rfc822", ""]) + self.headers(
                ["Subject: inner", ""]
            )
        return head + self.nl() + self.body()

    def multipart(self, depth: int) -> str:
        rng = self.rng
        boundary = self.boundary()
        subtype = rng.choice(["mixed", "alternative", "related", "signed"])
        if self.awkward(0.02):
            subtype = "digest"
        quoted = '"' + boundary.replace("\\", "\\\\").replace('"', '\\"') + '"'
        params = f"boundary={quoted}"
        if rng.random() < 0.2:
            params = f"charset=us-ascii;{self.nl()} {params}"
        out = self.headers([f"Content-Type: multipart/{subtype}; {params}"]) + self.nl()
        if rng.random() < 0.5:
            out += self.body()  # preamble
        parts = rng.randint(1, 3)
        for _ in range(parts):
            trailing = rng.choice(["", "", " ", "\t ", "  "])
            if self.awkward(0.02):
                trailing = " junk"
            out += f"--{boundary}{trailing}{self.nl()}"
            if self.awkward(0.02):
                out += f"--{boundary}{self.nl()}"  # repeated delimiter
            if depth < 3 and rng.random() < 0.35:
                out += self.multipart(depth + 1)
            else:
                out += self.leaf()
            if self.boundaries[:-1] and self.awkward(0.02):
                out += f"--{self.boundaries[0]}{self.nl()}"  # an outer boundary inside
        if self.awkward(0.05):
            return out  # no close delimiter
        out += f"--{boundary}--{rng.choice(['', ' ', chr(9)])}"
        if depth == 0 and rng.random() < 0.1:
            return out  # the close delimiter ends the input: no line break
        out += self.nl()
        if rng.random() < 0.4:
            out += "epilogue text" + self.nl() + self.body()
        return out

    def message(self) -> bytes:
        rng = self.rng
        head = []
        if rng.random() < 0.1:
            head.append("From sender@example.com Thu Nov 26 14:00:00 2026")
        head += ["From: a@example.com", "To: b@example.com", "Subject: test", "MIME-Version: 1.0"]
        text = self.headers(head)
        if rng.random() < 0.15:
            text += self.nl() + self.body()
        else:
            text += self.multipart(0)
        raw = text.encode("latin-1")
        if self.awkward(0.05):
            raw = raw[: rng.randrange(len(raw) + 1)]  # truncated
        if self.awkward(0.03):
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + b"\r" + raw[at:]  # a bare CR somewhere
        starts = [m.start() for m in re.finditer(rb"\r?\n--", raw)]
        if starts and self.awkward(0.05):
            # A bare CR instead of the line break before a boundary-like line: for the
            # email package that CR ends a line, and the "--" line after it may be a
            # boundary inside what looks like one line.
            at = rng.choice(starts)
            prefix = raw[at:].split(b"--", 1)[0]
            raw = raw[:at] + rng.choice([b"\r", b"x\r", b"\r\r"]) + raw[at + len(prefix) :]
        return raw


def _mp(boundary: str, body: str, subtype: str = "mixed") -> str:
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}'


TEXT = "Content-Type: text/plain\n\n"
EDGE_CASES: dict[str, tuple[str, bool | None]] = {
    # name: (message with LF line ends, whether the fast path must take it; None: either)
    "simple": (_mp("b", f"pre\n--b\n{TEXT}one\n--b\n{TEXT}two\n\n--b--\npost\n"), True),
    "no preamble, empty epilogue": (_mp("b", f"--b\n{TEXT}x\n--b--\n"), True),
    "close ends the input": (_mp("b", f"--b\n{TEXT}x\n--b--"), True),
    "whitespace after delimiters": (_mp("b", f"--b \t\n{TEXT}x\n--b--  \n"), True),
    "envelope line in a part": (_mp("b", f"--b\nFrom x y\n{TEXT}z\n--b--\n"), True),
    "blank preamble": (_mp("b", f"\n--b\n{TEXT}z\n--b--\n"), True),
    "part without headers": (_mp("b", "--b\n\nbody\n--b--\n"), True),
    "empty part body": (_mp("b", f"--b\n{TEXT}--b--\n"), True),
    "regex metacharacters": (_mp("a.b+", f"--a.b+\n{TEXT}--aXbb\n--a.b+--\n"), True),
    "boundary inside a line": (_mp("b", f"--b\n{TEXT}see --b and\n--b--\n"), True),
    "signature dashes": (_mp("b", f"--b\n{TEXT}hi\n-- \nme\n--b--\n"), True),
    "nested, epilogues": (
        _mp("o", "--o\n" + _mp("i", f"--i\n{TEXT}a\n--i--\n\n", "alternative") + "--o--\n"),
        True,
    ),
    "nested, no epilogue": (
        _mp("o", "--o\n" + _mp("i", f"--i\n{TEXT}a\n--i--\n", "alternative") + "--o--\n"),
        True,
    ),
    "nested epilogue text": (
        _mp("o", "--o\n" + _mp("i", f"--i\n{TEXT}a\n--i--\ntail\n") + "--o--\n"),
        True,
    ),
    "same boundary nested": (
        _mp("b", "--b\n" + _mp("b", f"--b\n{TEXT}a\n--b--\n") + "--b--\n"),
        None,
    ),
    "inner close is the outer delimiter": (
        _mp("X--", "--X--\n" + _mp("X", f"--X\n{TEXT}a\n--X--\n") + "--X----\n"),
        None,
    ),
    "inner is outer plus dashes": (
        _mp("X", "--X\n" + _mp("X--", f"--X--\n{TEXT}a\n--X----\n") + "--X--\n"),
        None,
    ),
    "prefix boundaries": (
        _mp("abc", "--abc\n" + _mp("abcd", f"--abcd\n{TEXT}a\n--abcd--\n") + "--abc--\n"),
        None,
    ),
    "outer boundary inside the inner part": (
        _mp("o", "--o\n" + _mp("i", f"--i\n{TEXT}a\n--o\n{TEXT}b\n--i--\n") + "--o--\n"),
        None,
    ),
    "bare CR before a boundary": (_mp("b", f"--b\n{TEXT}one\r--b\n{TEXT}2\n--b--\n"), None),
    "delimiter ended by a bare CR": (
        _mp("b", f"--b\n{TEXT}one\n--b\r{TEXT}x\n--b--\n"),
        None,
    ),
    "close ended by a bare CR": (_mp("b", f"--b\n{TEXT}x\n--b--\rtail\n--b--\n"), None),
    "bare CR inside a line": (_mp("b", f"--b\n{TEXT}one\rtwo\n--b--\n"), True),
    "bare CR in a header": (_mp("b", "--b\nContent-Type: text/plain\rX: y\n\nz\n--b--\n"), None),
    "repeated delimiter": (_mp("b", f"--b\n--b\n{TEXT}x\n--b--\n"), None),
    "delimiter with junk": (_mp("b", f"--b\n{TEXT}x\n--b junk\n--b--\n"), None),
    "missing close": (_mp("b", f"--b\n{TEXT}x\n"), None),
    "close only": (_mp("b", "--b--\n"), None),
    "no delimiter": (_mp("b", "just text\n"), None),
    "delimiter in the epilogue": (_mp("b", f"--b\n{TEXT}x\n--b--\n--b\n"), None),
    "text right after a delimiter": (_mp("b", "--b\nhello\n--b--\n"), None),
    "boundary in a header block": (_mp("b", "--b\nX: 1\n--b\n\nx\n--b--\n"), None),
    "rfc822 part": (
        _mp("b", "--b\nContent-Type: message/rfc822\n\nSubject: x\n\ny\n--b--\n"),
        None,
    ),
    "digest": (_mp("b", "--b\n\nSubject: x\n\ny\n--b--\n", "digest"), None),
    "no boundary parameter": ("Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n", None),
    "base64 multipart": (
        "Content-Transfer-Encoding: base64\n" + _mp("b", "--b\n\nx\n--b--\n"),
        None,
    ),
    "empty boundary": (_mp("", "--\n\nx\n----\n"), None),
    "continuation first": (" x\n" + _mp("b", "--b\n\nx\n--b--\n"), None),
    "no separator line": ("Subject: x\n", None),
    "leaf": ("Subject: x\n\nbody\n--not a boundary\n", True),
    "unix from": ("From a@b Thu Nov 26 00:00:00 2026\nSubject: x\n\nbody\n", True),
    "misplaced unix from": ("Subject: x\nFrom a@b\nTo: c\n\nbody\n", None),
    "folded headers": ("Subject: a\n b\n\tc\nTo: d\n\nbody", True),
    "header without a name": ("Subject: a\n: b\n\nbody\n", None),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_edge_cases(name: str, eol: str) -> None:
    text, expected = EDGE_CASES[name]
    raw = ("From: a@b.example\n" + text).replace("\n", eol).encode()
    if text.startswith(("From ", " ")):
        raw = text.replace("\n", eol).encode()
    fast = check(raw)
    if expected is not None:
        assert fast is expected, mime.fallback_reason(raw)


def test_generated_awkward_multiparts() -> None:
    rng = random.Random(20261126)  # noqa: S311 - reproducible cases, not cryptography
    ordinary = awkward = fast_awkward = 0
    for number in range(400):
        gen = _Gen(rng)
        raw = gen.message()
        try:
            fast = check(raw)
        except AssertionError as exc:
            raise AssertionError(f"case {number}: {raw[:3000]!r}") from exc
        if gen.ordinary:
            ordinary += 1
            assert fast, f"case {number}: {mime.fallback_reason(raw)}: {raw[:2000]!r}"
        else:
            awkward += 1
            fast_awkward += fast
    # The generator exercises both sides.
    assert ordinary >= 150
    assert awkward >= 50
    assert fast_awkward < awkward


def test_mutated_mail_stays_equal() -> None:
    """Random damage (line breaks, dashes, colons, bare CRs) to ordinary mail: whatever
    the fast path makes of it equals the email package's tree."""
    rng = random.Random(5)  # noqa: S311 - reproducible cases, not cryptography
    seeds = [raw for _, raw in ordinary_messages() if len(raw) < 20000]
    seeds += [_Gen(random.Random(n)).message() for n in range(20)]  # noqa: S311
    for seed in seeds:
        for _ in range(12):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(len(data) + 1)
                data[pos:pos] = rng.choice([b"\r", b"\n", b"\r\n", b"--", b"-", b":", b" ", b"\t"])
            check(bytes(data))


def test_deep_nesting_falls_back() -> None:
    inner = compose.nested_multipart(mime.MAX_DEPTH + 2, prefix="level")
    raw = b"From: a@b.example\r\n" + inner
    assert not check(raw)
    assert "deeper" in str(mime.fallback_reason(raw))


def test_a_surprise_in_the_fast_path_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = compose.raw_japanese("utf-8")

    def broken(_raw: bytes) -> Message:
        raise RuntimeError("bug")

    monkeypatch.setattr(mime, "_fast", broken)
    assert_same(mime.parse(raw), STDLIB.parsebytes(raw))


# --- the sanitiser: the same output either way -----------------------------------------


def _sanitised(raw: bytes) -> dict[str, Any]:
    random.seed(1)  # the email generator's boundaries and make_msgid
    result = sanitise(raw, DEFAULT_POLICY, quarantine_id="q-1")
    out = result.model_dump()
    message = re.sub(rb"(?m)^Date: .*\r?\n", b"", result.message)
    out["message"] = re.sub(rb"<[^<>@]+@mailsan\.invalid>", b"<id@mailsan.invalid>", message)
    return out


def _shape(out: dict[str, Any]) -> tuple[object, ...]:
    """A sanitised result without what a conversion makes differently on every run (a
    rendered PDF's bytes, a rebuilt zip's timestamps): the records' other fields, every
    header of every part, and the payloads of the parts that are not attachments."""
    records = [
        {k: v for k, v in record.items() if k != "output_sha256"} for record in out["objects"]
    ]
    parts = []
    for part in STDLIB.parsebytes(out["message"]).walk():
        attachment = part.get_content_disposition() == "attachment"
        payload = None if part.is_multipart() or attachment else part.get_payload()
        parts.append((part.items(), payload))
    rest = {k: v for k, v in out.items() if k not in ("objects", "message")}
    return rest, records, parts


def test_sanitise_output_identical_with_either_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: "0" * (2 * (n or 32)))
    mails = {path.name: path.read_bytes() for path in cpython_messages()}
    mails.update(mail_parser_mails())
    mails.update(dict(ordinary_messages()))
    fast = {name: _sanitised(raw) for name, raw in mails.items()}
    stdlib_only: Callable[[bytes], Message | None] = lambda _raw: None  # noqa: E731
    monkeypatch.setattr(mime, "fast_parse", stdlib_only)
    exact = 0
    for name, raw in mails.items():
        slow = _sanitised(raw)
        if any(record["output_sha256"] for record in slow["objects"]):
            # A converted attachment (a rebuilt zip's timestamps, a rendered page) differs
            # from run to run: the rest is compared.
            assert _shape(slow) == _shape(fast[name]), name
        else:
            exact += 1
            assert slow == fast[name], name
    assert exact >= len(mails) // 2


# --- base64 writer ----------------------------------------------------------------------


def test_b64_is_encodebytes_with_crlf() -> None:
    rng = random.Random(3)  # noqa: S311 - reproducible sizes, not cryptography
    sizes = {0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 57 * 64, 57 * 64 + 1, 57 * 64 - 1}
    sizes |= {57 * k + d for k in (1, 2, 10, 63, 64, 65, 128, 1000) for d in (-1, 0, 1)}
    sizes |= {76 * k + d for k in (1, 3, 100, 1000) for d in (-1, 0, 1)}
    sizes |= {rng.randrange(200_000) for _ in range(40)}
    data = rng.randbytes(max(sizes))
    for size in sorted(sizes):
        chunk = data[:size]
        assert _b64(chunk) == base64.encodebytes(chunk).replace(b"\n", b"\r\n"), size
