"""The sanitiser core: one raw message in, a sanitised message (or a held-back notice) out.

Pure: no I/O, no global state; the same function serves the SMTP filter, the offline
command and the tests. Hostile input never raises: what cannot be processed is removed or
the message is held back, and the result says so.
"""

from __future__ import annotations

import binascii
import email.policy
import itertools
import re
import secrets
import struct
import urllib.parse
from email.header import Header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import formatdate, make_msgid

from ictinfra.mailsan import mime
from ictinfra.mailsan.attachments import Budget, Outcome, process, true_type
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.records import (
    Action,
    Deliverable,
    ObjectRecord,
    SanitiseResult,
    Verdict,
    sha256,
)
from ictinfra.mailsan.text import (
    clean_filename,
    decode_bytes,
    decode_header_value,
    html_to_text,
    neutralise_links,
)

POLICY = email.policy.SMTP
HEADER = "X-Mailsan"
ID_HEADER = "X-Mailsan-Id"
# Rebuilt from scratch, so never copied; our own headers are dropped so a sender cannot
# forge a "sanitised" mark, and one-click unsubscribe headers are links.
_DROP_HEADERS = ("content-", "mime-version", "x-mailsan", "list-unsubscribe")
_ADDRESS_HEADERS = ("to", "cc", "bcc", "reply-to", "resent-to", "resent-cc")
_ACTION_JA = {
    Action.CONVERTED: "変換",
    Action.REMOVED: "削除",
    Action.HELD: "保留",
    Action.KEPT: "そのまま",
}


class _State:
    def __init__(self, policy: SanitisePolicy) -> None:
        self.policy = policy
        self.budget = Budget(
            members=policy.archive_max_members, expanded=policy.archive_max_expanded_bytes
        )
        self.sections: list[str] = []
        self.links: list[str] = []
        self.body_actions: list[str] = []
        self.outcome = Outcome()
        self.defects: list[str] = []
        self.leaves = 0

    def body_action(self, name: str) -> None:
        if name not in self.body_actions:
            self.body_actions.append(name)

    def add_links(self, links: tuple[str, ...]) -> None:
        self.links.extend(link for link in links if link not in self.links)


def _hget(msg: Message, name: str) -> str | None:
    """A header of the source message, decoded (first occurrence), from its raw value."""
    wanted = name.lower()
    for key, raw in msg.raw_items():
        if key.lower() == wanted:
            return decode_header_value(str(raw))
    return None


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
    return decode_header_value(str(name)) if name else None


def _collect(part: Message, state: _State, depth: int, where: str) -> None:
    policy = state.policy
    state.defects.extend(f"{where}: {type(d).__name__}" for d in part.defects)
    ctype = part.get_content_type()
    if depth > policy.max_mime_depth:
        _remove_part(
            part, state, where, f"MIME structure nested deeper than {policy.max_mime_depth}"
        )
        return
    payload = part.get_payload()
    if isinstance(payload, list):
        subparts = [p for p in payload if isinstance(p, Message)]
        if ctype == "message/rfc822" or (part.get_content_maintype() == "message" and subparts):
            for sub in subparts:
                _forwarded(sub, state, depth, where)
            return
        if ctype == "multipart/alternative" and subparts:
            kinds = [p.get_content_type() for p in subparts]
            chosen = subparts[kinds.index("text/plain")] if "text/plain" in kinds else subparts[-1]
            if "text/html" in kinds and chosen.get_content_type() != "text/html":
                state.body_action("html-alternative-dropped")
            _collect(chosen, state, depth + 1, where)
            return
        for index, sub in enumerate(subparts):
            _collect(sub, state, depth + 1, f"{where}.{index}")
        return
    _leaf(part, state, depth, where)


def _leaf(part: Message, state: _State, depth: int, where: str) -> None:
    policy = state.policy
    ctype = part.get_content_type()
    state.leaves += 1
    if state.leaves > policy.max_parts:
        _remove_part(part, state, where, f"more than {policy.max_parts} MIME parts")
        return
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        _body(part, state, ctype)
        return
    data = _payload(part)
    name = clean_filename(filename, f"part{where.replace('/', '-')}")
    if true_type(data)[0] == "message/rfc822":
        # A forwarded message sent as a plain attachment: sanitised like an inline one.
        state.outcome.records.append(
            ObjectRecord(
                path=name,
                declared_type=ctype,
                true_type="message/rfc822",
                size=len(data),
                sha256=sha256(data),
                action=Action.CONVERTED,
                reason="attached message sanitised and shown inline",
            )
        )
        _forwarded(mime.parse(data), state, depth, where)
        return
    out = process(data, path=name, declared=ctype, policy=policy, budget=state.budget)
    state.outcome.records.extend(out.records)
    state.outcome.deliver.extend(out.deliver)


def _forwarded(sub: Message, state: _State, depth: int, where: str) -> None:
    heading = ["", "---------- 転送されたメッセージ / Forwarded message ----------"]
    heading.extend(
        f"{name}: {value}"
        for name in ("From", "Date", "Subject", "To")
        if (value := _hget(sub, name)) is not None
    )
    state.sections.append("\n".join(neutralise_links("\n".join(heading))[0].splitlines()))
    _collect(sub, state, depth + 1, f"{where}/message")


def _remove_part(part: Message, state: _State, where: str, reason: str) -> None:
    data = part.as_bytes() if not part.is_multipart() else b""
    state.outcome.records.append(
        ObjectRecord(
            path=clean_filename(_filename(part), f"part{where}"),
            declared_type=part.get_content_type(),
            true_type="application/octet-stream",
            size=len(data),
            sha256=sha256(data),
            action=Action.REMOVED,
            reason=reason,
        )
    )


def _body(part: Message, state: _State, ctype: str) -> None:
    decoded = decode_bytes(_payload(part), part.get_content_charset())
    if decoded.note:
        state.body_action("charset-repaired")
        state.defects.append(decoded.note)
    if ctype == "text/html":
        converted = html_to_text(decoded.text)
        state.body_action("html-to-text")
        state.add_links(converted.links)
        text = converted.text
    else:
        text = decoded.text
    text, found = neutralise_links(text.replace("\r\n", "\n"))
    state.add_links(found)
    state.sections.append(text)


def _copy_headers(src: Message, dst: EmailMessage, state: _State) -> None:
    for name, raw in src.raw_items():
        if name.lower().startswith(_DROP_HEADERS):
            continue
        value = decode_header_value(str(raw))
        if name.lower() in _ADDRESS_HEADERS and name in dst:
            # Repeated To/Cc (seen in real mail): merged, since a message may carry one.
            value = f"{dst[name]}, {value}"
            del dst[name]
        _set_header(dst, name, value, state)


def _set_header(dst: EmailMessage, name: str, value: str, state: _State) -> None:
    """Set a header the generator can serialise; the email package's folder fails on some
    hostile values, so each is folded once here and, failing that, encoded as plain text."""
    for candidate in (value, str(Header(value, "utf-8").encode())):
        try:
            if not candidate.isascii():  # only non-ASCII values have failed to fold
                POLICY.fold_binary(name, candidate)
            dst[name] = candidate
        except (ValueError, TypeError, IndexError, UnicodeError, AttributeError):
            continue
        return
    state.defects.append(f"header {name} dropped: cannot be encoded")


def _notice(state: _State, quarantine_id: str | None, verdict: Verdict) -> str:
    records = state.outcome.records
    lines: list[str] = []
    if "html-to-text" in state.body_actions:
        lines.append("・HTML本文をテキストに変換しました / HTML body converted to plain text")
    if "html-alternative-dropped" in state.body_actions:
        lines.append(
            "・HTML版の本文を除去しテキスト版を残しました / HTML version removed, text kept"
        )
    if state.links:
        lines.append(
            f"・リンク {len(state.links)} 件をクリックできない形にし、末尾に一覧を記載しました"
            f" / {len(state.links)} links neutralised, listed at the end"
        )
    if "charset-repaired" in state.body_actions:
        lines.append("・文字コードの誤りを補正しました / a wrong or missing charset was repaired")
    lines.extend(
        f"・添付 {rec.path} ({rec.true_type}, {rec.size} bytes): "
        f"{_ACTION_JA[rec.action]} {rec.action.value} — {rec.reason}"
        for rec in records
    )
    if not lines and verdict is Verdict.DELIVER:
        return ""
    ident = quarantine_id or "(offline)"
    encrypted = any(r.action is Action.HELD and "encrypted" in r.reason for r in records)
    if verdict is Verdict.HOLD and not encrypted:
        head = [
            "【メール無害化: 保留】このメールは安全に無害化できなかったため、配送を保留しました。",
            "[Mail sanitisation: HELD] This message could not be made harmless in time or at",
            "all, so it was held back and not delivered.",
        ]
    elif verdict is Verdict.HOLD:
        head = [
            "【メール無害化: 保留】暗号化された添付ファイル(パスワード付きZIP等)を含むため、",
            "このメールの配送を保留しました。内容を確認できないためです。",
            "[Mail sanitisation: HELD] This message contains encrypted content that cannot be",
            "inspected, so it was held back and not delivered.",
        ]
    else:
        head = [
            "【メール無害化】このメールは安全のため無害化されました。",
            "[Mail sanitisation] This message was made harmless before delivery.",
        ]
    tail = [
        f"隔離ID / Quarantine ID: {ident}",
        f"原本が必要な場合は、隔離IDを添えて {state.policy.contact} に依頼してください。",
        f"To obtain the original, ask {state.policy.contact} quoting the quarantine ID.",
    ]
    rule = "―" * 30
    return "\n".join([rule, *head, *lines, *tail, rule])


def _set_text(msg: EmailMessage, text: str) -> None:
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")


def _held_message(src: Message | None, state: _State, notice: str) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = state.policy.notice_sender
    for name in ("To", "Cc"):
        value = _hget(src, name) if src is not None else None
        if value is not None:
            _set_header(msg, name, value, state)
    subject = (_hget(src, "Subject") or "") if src is not None else ""
    _set_header(msg, "Subject", f"[保留/Held] {subject}".strip(), state)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="mailsan.invalid")
    original: list[str] = []
    if src is not None:
        original.extend(
            f"{name}: {value}"
            for name in ("From", "Date", "Subject", "Message-ID")
            if (value := _hget(src, name)) is not None
        )
    body = (
        notice
        + "\n\n元のメール / Original message:\n"
        + neutralise_links("\n".join(original))[0]
        + "\n"
    )
    _set_text(msg, body)
    return msg


def _whole_message_held(raw: bytes, reason: str) -> ObjectRecord:
    """The audit record of a message held back as a whole."""
    return ObjectRecord(
        path="message",
        declared_type=None,
        true_type="message/rfc822",
        size=len(raw),
        sha256=sha256(raw),
        action=Action.HELD,
        reason=reason,
    )


def sanitise(
    raw: bytes, policy: SanitisePolicy, *, quarantine_id: str | None = None
) -> SanitiseResult:
    """Sanitise one message (RFC 5322 bytes, CRLF or LF). Never raises on hostile input."""
    state = _State(policy)
    src: Message | None
    try:
        # compat32 keeps headers as raw strings: they are decoded here, once, by the
        # Japanese-aware decoder, and parsing is several times cheaper than EmailPolicy's.
        # mime.parse: the same tree as BytesParser(policy=compat32), without walking
        # ordinary mail line by line (it falls back to that parser for anything else).
        src = mime.parse(raw)
        _collect(src, state, 0, "1")
    except (RecursionError, ValueError, LookupError, TypeError, AttributeError, IndexError) as exc:
        # The parser or the walk gave up: fail closed, the whole message is held back.
        state.defects.append(f"message could not be parsed ({type(exc).__name__})")
        state.outcome.records.append(
            _whole_message_held(
                raw, f"malformed message could not be parsed ({type(exc).__name__})"
            )
        )
        src = None
    verdict = Verdict.HOLD if state.outcome.held else Verdict.DELIVER
    notice = _notice(state, quarantine_id, verdict)
    provisional = SanitiseResult(
        verdict=verdict,
        message=b"",
        objects=tuple(state.outcome.records),
        body_actions=tuple(state.body_actions),
        links=tuple(state.links),
        notice=notice,
        defects=tuple(state.defects),
    )
    text = ""
    if verdict is Verdict.DELIVER:
        body = "\n\n".join(s.strip("\n") for s in state.sections if s.strip())
        parts = [notice] if notice else []
        parts.append(body)
        if state.links:
            listing = "\n".join(f"[{i}] {link}" for i, link in enumerate(state.links, 1))
            parts.append("リンク一覧(クリック不可) / Links (not clickable):\n" + listing)
        text = "\n\n".join(p for p in parts if p) + "\n"
        if src is not None:
            fast = _serialise_fast(
                src, text, state.outcome.deliver, provisional.summary, quarantine_id
            )
            if fast is not None:
                return provisional.model_copy(update={"message": fast})
    if verdict is Verdict.HOLD:
        out = _held_message(src, state, notice)
    else:
        assert src is not None  # noqa: S101 - a parse failure always holds
        out = EmailMessage(policy=POLICY)
        _copy_headers(src, out, state)
        _set_text(out, text)
        for item in state.outcome.deliver:
            _attach(out, item)
    if HEADER in out:
        del out[HEADER]
    out[HEADER] = provisional.summary
    if quarantine_id:
        out[ID_HEADER] = quarantine_id
    try:
        data = out.as_bytes(policy=POLICY)
    except (UnicodeError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # The email package could not fold some header: keep only headers that fold alone.
        data = _serialise_defensively(out)
        provisional = provisional.model_copy(
            update={"defects": (*provisional.defects, f"re-serialised ({type(exc).__name__})")}
        )
    return provisional.model_copy(update={"message": data})


def _serialise_fast(
    src: Message,
    text: str,
    attachments: list[Deliverable],
    summary: str,
    quarantine_id: str | None,
) -> bytes | None:
    """The delivered message written directly when every header is plain ASCII: the
    headers are copied as received (what ``_copy_headers`` would decode and re-encode to
    the same meaning), the body and attachments base64-encoded in one C call each. The
    email package's header objects and generator cost most of a message's time (tens of
    milliseconds for a large attachment). None: take the slow path."""
    lines: list[str] = []
    seen: set[str] = set()
    for name, raw in src.raw_items():
        lower = name.lower()
        if lower.startswith(_DROP_HEADERS):
            continue
        value = str(raw)
        if not (value.isascii() and _CLEAN_HEADER.fullmatch(name)) or "\0" in value:
            return None
        if lower in _ADDRESS_HEADERS and lower in seen:
            return None  # repeated To/Cc are merged by the slow path
        seen.add(lower)
        folded = "\r\n".join(
            line for line in value.replace("\r\n", "\n").split("\n") if line.strip()
        )
        if len(name) + len(folded) > 4000 or any(len(x) > 900 for x in folded.split("\r\n")):
            return None  # over-long lines: let the email package fold them
        lines.append(f"{name}: {folded.lstrip()}" if folded else f"{name}:")
    text_part = [
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    body = _b64(text.encode("utf-8"))
    lines.append("MIME-Version: 1.0")
    if attachments:
        boundary = f"=_mailsan_{secrets.token_hex(12)}"  # '=_' never occurs in base64
        lines.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        parts = [("\r\n".join(text_part) + "\r\n\r\n").encode() + body]
        for item in attachments:
            mime = item.mime if _MIME.fullmatch(item.mime) else "application/octet-stream"
            charset = '; charset="utf-8"' if mime.startswith("text/") else ""
            head = (
                f"Content-Type: {mime}{charset};{_param('name', item.filename)}\r\n"
                f"Content-Disposition: attachment;{_param('filename', item.filename)}\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
            )
            parts.append(head.encode("ascii") + _b64(item.data))
        delimiter = f"--{boundary}\r\n".encode()
        body = b"".join(delimiter + part for part in parts) + f"--{boundary}--\r\n".encode()
    else:
        lines += text_part
    lines.append(f"{HEADER}: {summary}")
    if quarantine_id:
        lines.append(f"{ID_HEADER}: {quarantine_id}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


_CLEAN_HEADER = re.compile(r"[!-9;-~]+")  # a field name: printable ASCII but ':'
_MIME = re.compile(r"[a-z0-9.+-]+/[a-z0-9.+-]+")
_PLAIN_PARAM = re.compile(r"[A-Za-z0-9._ ()+-]{1,60}")


# 64 lines of base64 (76 characters) at a time: one C call cuts a whole block into lines.
_B64_LINES = struct.Struct("76s" * 64)


def _b64(data: bytes) -> bytes:
    """``base64.encodebytes(data)`` with CRLF line ends (76-character lines, one after the
    last), in a few C calls: encodebytes makes one call per 57 bytes, which showed in the
    profile of large attachments."""
    encoded = binascii.b2a_base64(data, newline=False)
    size = len(encoded)
    if not size:
        return b""
    whole = size - size % _B64_LINES.size
    blocks = _B64_LINES.iter_unpack(memoryview(encoded)[:whole])
    tail = [encoded[i : i + 76] for i in range(whole, size, 76)]
    lines = itertools.chain(itertools.chain.from_iterable(blocks), tail)
    return b"\r\n".join(lines) + b"\r\n"


def _param(key: str, value: str) -> str:
    """A MIME parameter: quoted when plain ASCII, else RFC 2231 (UTF-8, percent-encoded,
    split in continuations so no line exceeds the SMTP limit)."""
    if _PLAIN_PARAM.fullmatch(value):
        return f' {key}="{value}"'
    encoded = urllib.parse.quote(value.encode("utf-8"), safe="")
    chunks, start = [], 0
    while start < len(encoded):
        end = min(start + 60, len(encoded))
        while end < len(encoded) and "%" in encoded[end - 2 : end]:
            end -= 1  # never split a %XX escape
        chunks.append(encoded[start:end])
        start = end
    if len(chunks) == 1:
        return f"\r\n {key}*=utf-8''{chunks[0]}"
    return ";".join(
        f"\r\n {key}*{i}*=" + ("utf-8''" if i == 0 else "") + chunk
        for i, chunk in enumerate(chunks)
    )


_CONTENT_TYPE = re.compile(rb"(?im)^content-(?:type|disposition)[ \t]*:(.*(?:\r?\n[ \t].*)*)")


def plain_text_only(raw: bytes) -> bool:
    """True when the top-level part is text/plain (or untyped) and not an attachment:
    a look at the header block only, for deciding how to run the sanitiser."""
    end = raw.find(b"\r\n\r\n")
    head = raw[: end if end >= 0 else 65536][:65536]
    for match in _CONTENT_TYPE.finditer(head):
        field = match.group(0).lower()
        value = match.group(1).strip().lower()
        if field.startswith(b"content-disposition"):
            if value.startswith(b"attachment") or b"filename" in value:
                return False
        elif not value.startswith(b"text/plain"):
            return False
    return True


def held_result(
    raw: bytes, policy: SanitisePolicy, *, quarantine_id: str | None, reason: str
) -> SanitiseResult:
    """The message held back with a notice when it could not be sanitised at all (the
    converter ran out of time or died): only its headers are read, and those safely."""
    state = _State(policy)
    record = _whole_message_held(raw, reason)
    state.outcome.records.append(record)
    try:
        src: Message | None = BytesParser(policy=email.policy.compat32).parsebytes(
            raw, headersonly=True
        )
    except Exception:  # noqa: BLE001 - the notice is sent without the original's headers
        src = None
    notice = _notice(state, quarantine_id, Verdict.HOLD)
    out = _held_message(src, state, notice)
    result = SanitiseResult(
        verdict=Verdict.HOLD,
        message=b"",
        objects=(record,),
        body_actions=(),
        links=(),
        notice=notice,
        defects=tuple(state.defects),
    )
    out[HEADER] = result.summary
    if quarantine_id:
        out[ID_HEADER] = quarantine_id
    try:
        data = out.as_bytes(policy=POLICY)
    except (UnicodeError, ValueError, TypeError, IndexError, AttributeError):
        data = _serialise_defensively(out)
    return result.model_copy(update={"message": data})


def _serialise_defensively(msg: EmailMessage) -> bytes:
    for part in msg.walk():
        for name, value in list(part.items()):
            try:
                POLICY.fold_binary(name, value)
            except (UnicodeError, ValueError, TypeError, IndexError, AttributeError):
                del part[name]
                if name.lower() == "content-disposition":
                    part[name] = "attachment"
    return msg.as_bytes(policy=POLICY)


def _attach(msg: EmailMessage, item: Deliverable) -> None:
    maintype, _, subtype = item.mime.partition("/")
    if maintype == "text":
        msg.add_attachment(
            item.data.decode("utf-8", errors="replace"),
            subtype=subtype,
            charset="utf-8",
            cte="base64",
            filename=item.filename,
        )
    else:
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
