"""The Sendmail milter protocol (version 6), spoken by Postfix's smtpd to a before-queue filter.

A small binary protocol: every packet is ``uint32 length ‖ command byte ‖ data``. Postfix
sends the envelope (MAIL, RCPT), the headers one by one, the body in chunks of at most
64 KB and then end-of-message (EOB); the filter answers EOB with modifications (replace the
body, change/add/delete headers, change the sender) and one final verdict (ACCEPT,
TEMPFAIL, a reply code). Postfix queues the message only after that verdict, so there is
one queue and a message is never acknowledged to its sender before the filter is done.

Negotiation asks Postfix not to send what the filter does not use (CONNECT, HELO, DATA,
unknown commands, end-of-headers) and not to wait for replies to MAIL, RCPT, HEADER and
BODY: a message costs one round trip (EOB), not one per header.

This module is the protocol only (codec, per-connection state, header/body edits); what
happens at end-of-message is a callback (``ictinfra.mailsan.service``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("ictinfra.mailsan.milter")

VERSION = 6
# Commands (MTA -> filter).
ABORT, BODY, CONNECT, MACRO, EOB = b"A", b"B", b"C", b"D", b"E"
HELO, QUIT_NC, HEADER, MAIL, EOH = b"H", b"K", b"L", b"M", b"N"
OPTNEG, QUIT, RCPT, DATA, UNKNOWN = b"O", b"Q", b"R", b"T", b"U"
# Replies (filter -> MTA).
ACCEPT, CONTINUE, TEMPFAIL, REPLYCODE = b"a", b"c", b"t", b"y"
REPLBODY, ADDHEADER, CHGHEADER, CHGFROM, PROGRESS = b"b", b"h", b"m", b"e", b"p"
# Actions the filter may take.
F_ADDHDRS, F_CHGBODY, F_CHGHDRS, F_CHGFROM = 0x01, 0x02, 0x10, 0x40
ACTIONS = F_ADDHDRS | F_CHGBODY | F_CHGHDRS | F_CHGFROM
# Protocol steps the filter does not want, and steps it does not answer.
P_NOCONNECT, P_NOHELO, P_NOEOH, P_NOUNKNOWN, P_NODATA = 0x01, 0x02, 0x40, 0x80, 0x100
P_NR_CONN, P_NR_HELO, P_NR_MAIL, P_NR_RCPT = 0x800, 0x1000, 0x2000, 0x4000
P_NR_DATA, P_NR_UNKN, P_NR_EOH, P_NR_BODY, P_NR_HDR = 0x8000, 0x10000, 0x20000, 0x40000, 0x80000
P_HDR_LEADSPC = 0x100000
WANTED = (
    P_NOCONNECT | P_NOHELO | P_NOEOH | P_NOUNKNOWN | P_NODATA | P_NR_CONN | P_NR_HELO
    | P_NR_MAIL | P_NR_RCPT | P_NR_DATA | P_NR_UNKN | P_NR_EOH | P_NR_BODY | P_NR_HDR
    | P_HDR_LEADSPC
)  # fmt: skip
_NO_REPLY = {
    CONNECT: P_NR_CONN,
    HELO: P_NR_HELO,
    MAIL: P_NR_MAIL,
    RCPT: P_NR_RCPT,
    DATA: P_NR_DATA,
    UNKNOWN: P_NR_UNKN,
    EOH: P_NR_EOH,
    BODY: P_NR_BODY,
    HEADER: P_NR_HDR,
}
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
PROGRESS_EVERY = 20.0  # seconds between SMFIR_PROGRESS while a message is sanitised
CHUNK = 65535  # largest body chunk either side sends
MAX_PACKET = 1 << 20  # Postfix never sends more than a 64 KB chunk; anything bigger is wrong


def packet(cmd: bytes, data: bytes = b"") -> bytes:
    return struct.pack(">I", len(data) + 1) + cmd + data


def reply_code(text: str) -> bytes:
    """A full SMTP reply ('451 4.3.0 ...'); '%' is doubled because the MTA formats it."""
    return packet(REPLYCODE, text.replace("%", "%%").encode("ascii", "replace") + b"\0")


@dataclass
class Message:
    """What Postfix told the filter about one message."""

    macros: dict[str, str] = field(default_factory=dict)
    mail_from: str = ""
    rcpt_to: list[str] = field(default_factory=list)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    size: int = 0

    def raw(self, *, leading_space: bool) -> bytes:
        """The message as Postfix shows it (without its own Received: header): with
        HDR_LEADSPC negotiated, values keep their exact leading white space."""
        sep = b":" if leading_space else b": "
        lines = [name + sep + _crlf(value) + b"\r\n" for name, value in self.headers]
        return b"".join(lines) + b"\r\n" + b"".join(self.body)


def _crlf(value: bytes) -> bytes:
    # Postfix hands folded header values with bare LF between their lines.
    return value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _strip_brackets(addr: str) -> str:
    addr = addr.strip()
    return addr[1:-1] if addr.startswith("<") and addr.endswith(">") else addr


# --- edits: the sanitised message as milter modifications -----------------------------


def split_message(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(headers as (name, value) with folding kept, body) of an RFC 5322 message."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        head, body = data, b""
    else:
        head, body = data[:end], data[end + 4 :]
    headers: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\r\n" + line)
        elif b":" in line:
            name, _, value = line.partition(b":")
            headers.append((name, value))
    return headers, body


def _norm(value: bytes) -> bytes:
    return b" ".join(value.split())


def edits(
    original: Sequence[tuple[bytes, bytes]],
    sanitised: bytes,
    *,
    leading_space: bool,
) -> list[bytes]:
    """Packets that turn the received message into ``sanitised``: header changes per
    name (changed in place, deleted from the last occurrence backwards so indexes stay
    valid, added), then the body replaced in 64 KB chunks. Postfix does not show the
    filter its own Received: header, so it is neither in ``original`` nor counted.
    """
    new_headers, body = split_message(sanitised)
    by_name_old: dict[bytes, list[bytes]] = {}
    for name, value in original:
        by_name_old.setdefault(name.lower(), []).append(value)
    by_name_new: dict[bytes, list[bytes]] = {}
    spelled: dict[bytes, bytes] = {}
    for name, value in new_headers:
        by_name_new.setdefault(name.lower(), []).append(value)
        spelled.setdefault(name.lower(), name)
    for name, _ in original:
        spelled.setdefault(name.lower(), name)
    out: list[bytes] = []

    def value_bytes(value: bytes) -> bytes:
        # The MTA writes "name:" + value with LEADSPC, "name: " + value without.
        value = value.replace(b"\r\n", b"\n")
        return value if leading_space else value.lstrip(b" \t")

    for key in sorted(set(by_name_old) | set(by_name_new)):
        old, new = by_name_old.get(key, []), by_name_new.get(key, [])
        name = spelled[key]
        for index in range(len(old), 0, -1):  # 1-based, last first
            if index > len(new):
                out.append(packet(CHGHEADER, struct.pack(">I", index) + name + b"\0\0"))
            elif _norm(old[index - 1]) != _norm(new[index - 1]):
                data = struct.pack(">I", index) + name + b"\0" + value_bytes(new[index - 1])
                out.append(packet(CHGHEADER, data + b"\0"))
        out.extend(
            packet(ADDHEADER, name + b"\0" + value_bytes(value) + b"\0")
            for value in new[len(old) :]
        )
    out.extend(
        packet(REPLBODY, body[start : start + CHUNK])
        for start in range(0, max(len(body), 1), CHUNK)
    )
    return out


# --- one connection from Postfix -------------------------------------------------------

# The answer to end-of-message, and what to run once it is written (the audit's
# "handed to Postfix" mark, which must not precede the answer).
Answer = tuple[list[bytes], Callable[[], None] | None]
EndOfMessage = Callable[[Message, bool], Awaitable[Answer]]  # (message, leading space)


class MilterProtocol(asyncio.Protocol):
    """One Postfix smtpd/cleanup connection: possibly many messages, one at a time."""

    def __init__(self, on_message: EndOfMessage, max_message_bytes: int) -> None:
        self.on_message = on_message
        self.max_message_bytes = max_message_bytes
        self.transport: asyncio.Transport | None = None
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.protocol = 0
        self.message = Message()
        self.busy: asyncio.Task[None] | None = None
        self.pending: list[tuple[bytes, bytes]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - stream server
        self.transport = transport
        sock = transport.get_extra_info("socket")
        self.sock = sock if sock is not None and sock.family != socket.AF_UNIX else None
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, _exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.sock is not None and QUICKACK is not None:
            # The MTA sends headers and body without waiting for replies (NR_* flags):
            # its next small write waits (Nagle) for our ACK, which Linux delays up to
            # 40 ms when we have nothing to send. Acknowledge at once instead.
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        self.buffer += data
        buf = self.buffer
        pos, end = 0, len(buf)
        # Packets are read at an offset and the buffer cut once per read: cutting it per
        # packet moved the rest of a large body each time.
        with memoryview(buf) as view:
            while end - pos >= 4:
                length = int.from_bytes(view[pos : pos + 4], "big")
                if length < 1 or length > MAX_PACKET:
                    log.warning("milter: bad packet length %d; closing", length)
                    self._close()
                    pos = end
                    break
                if end - pos < 4 + length:
                    break
                cmd = bytes(view[pos + 4 : pos + 5])
                payload = bytes(view[pos + 5 : pos + 4 + length])
                pos += 4 + length
                if self.busy is not None:
                    # Postfix waits for the EOB answer; anything meanwhile (ABORT) is queued.
                    self.pending.append((cmd, payload))
                else:
                    self._dispatch(cmd, payload)
        del buf[:pos]

    def _send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _continue(self, cmd: bytes) -> None:
        flag = _NO_REPLY.get(cmd)
        if flag is None or not self.protocol & flag:
            self._send(packet(CONTINUE))

    def _dispatch(self, cmd: bytes, data: bytes) -> None:  # noqa: PLR0912 - one flat switch
        msg = self.message
        if cmd == OPTNEG:
            version, actions, offered = struct.unpack(">III", data[:12])
            self.protocol = WANTED & offered
            if version < 2 or actions & ACTIONS != ACTIONS:
                log.error("milter: MTA offers version %d actions %#x: too little", version, actions)
            self._send(packet(OPTNEG, struct.pack(">III", VERSION, ACTIONS, self.protocol)))
        elif cmd == MACRO:
            fields = data[1:].split(b"\0")
            for name, value in zip(fields[0::2], fields[1::2], strict=False):
                msg.macros[name.decode("ascii", "replace").strip("{}")] = value.decode(
                    "utf-8", "replace"
                )
        elif cmd == MAIL:
            args = data.split(b"\0")
            self.message = Message(macros=msg.macros)
            self.message.mail_from = _strip_brackets(args[0].decode("utf-8", "surrogateescape"))
            self._continue(cmd)
        elif cmd == RCPT:
            rcpt = data.split(b"\0")[0].decode("utf-8", "surrogateescape")
            msg.rcpt_to.append(_strip_brackets(rcpt))
            self._continue(cmd)
        elif cmd == HEADER:
            name, _, rest = data.partition(b"\0")
            value = rest[:-1] if rest.endswith(b"\0") else rest
            msg.headers.append((name, value))
            msg.size += len(name) + len(value) + 4
            self._continue(cmd)
        elif cmd == BODY:
            msg.size += len(data)
            # Past the limit the message is refused at its end (552): counted, not kept,
            # so a flood of large bodies cannot fill the worker's memory meanwhile.
            if msg.size <= self.max_message_bytes:
                msg.body.append(data)
            self._continue(cmd)
        elif cmd == EOB:
            msg.size += len(data)
            if data and msg.size <= self.max_message_bytes:
                msg.body.append(data)
            self.busy = asyncio.ensure_future(self._end_of_message(msg))
        elif cmd == ABORT:
            self.message = Message()
        elif cmd == QUIT:
            self._close()
        elif cmd == QUIT_NC:
            self.message = Message()
        elif cmd in (CONNECT, HELO, DATA, UNKNOWN, EOH):
            self._continue(cmd)
        else:
            log.warning("milter: unknown command %r; closing", cmd)
            self._close()

    async def _progress(self) -> None:
        # A message waiting for a converter (others' conversions first) would otherwise
        # hit Postfix's milter_content_timeout; each conversion has its own time limit.
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            self._send(packet(PROGRESS))

    async def _end_of_message(self, msg: Message) -> None:
        after: Callable[[], None] | None = None
        progress = asyncio.ensure_future(self._progress())
        try:
            if msg.size > self.max_message_bytes:
                replies = [reply_code("552 5.3.4 message too big for the sanitiser")]
            else:
                replies, after = await self.on_message(msg, bool(self.protocol & P_HDR_LEADSPC))
        except Exception:  # any failure: the sender keeps the message and retries
            log.exception("milter: end-of-message failed; answering 451")
            replies = [reply_code("451 4.3.0 temporary sanitiser failure, please retry")]
        finally:
            progress.cancel()
        if self.transport is None or self.transport.is_closing():
            after = None  # Postfix hung up (its timeout): it did not take the answer
        self._send(b"".join(replies))
        if after is not None:
            try:
                after()
            except Exception:  # the message is Postfix's now: log only
                log.exception("milter: recording the hand-over failed")
        self.message = Message(macros={})
        self.busy = None
        pending, self.pending = self.pending, []
        for cmd, payload in pending:
            if self.busy is not None:
                self.pending.append((cmd, payload))
            else:
                self._dispatch(cmd, payload)
