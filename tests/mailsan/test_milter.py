"""The milter protocol against a scripted MTA (what Postfix's smtpd/cleanup send), and
the converter children's time limit and crash handling, without Postfix."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import threading
import time

import pytest

from ictinfra.mailsan import DEFAULT_POLICY, milter
from ictinfra.mailsan.converter import Converters
from ictinfra.mailsan.records import Action, Verdict
from tests.mailsan import compose
from tests.mailsan.safety import assert_safe

OFFERED_ACTIONS = 0x1FF
OFFERED_PROTOCOL = 0x1FFFFF  # everything Postfix 3.7 offers for version 6


def _packets(data: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    while data:
        length = struct.unpack(">I", data[:4])[0]
        out.append((data[4:5], data[5 : 4 + length]))
        data = data[4 + length :]
    return out


async def _conversation(handler: milter.EndOfMessage, script: list[bytes]) -> bytes:
    server = await asyncio.get_running_loop().create_server(
        lambda: milter.MilterProtocol(handler, 1_000_000), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for item in script:
        writer.write(item)
    await writer.drain()
    received = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 2)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass
    writer.close()
    server.close()
    return received


def _message_script(headers: list[tuple[bytes, bytes]], body: bytes) -> list[bytes]:
    script = [
        milter.packet(milter.OPTNEG, struct.pack(">III", 6, OFFERED_ACTIONS, OFFERED_PROTOCOL)),
        milter.packet(milter.MACRO, b"M" + b"i\0QUEUE1\0"),
        milter.packet(milter.MAIL, b"<sender@internet.example>\0SIZE=100\0"),
        milter.packet(milter.RCPT, b"<user@lgwan.lab.invalid>\0"),
    ]
    script += [milter.packet(milter.HEADER, n + b"\0" + v + b"\0") for n, v in headers]
    script += [milter.packet(milter.BODY, body[i : i + 65535]) for i in range(0, len(body), 65535)]
    script.append(milter.packet(milter.EOB))
    return script


def test_negotiation_message_and_edits() -> None:
    seen: list[milter.Message] = []

    async def handler(msg: milter.Message, leading_space: bool) -> milter.Answer:
        seen.append(msg)
        sanitised = (
            b"Subject: changed\r\nX-New: added\r\nTo: user@lgwan.lab.invalid\r\n\r\n"
            + b"x" * 70_000
        )
        edits = milter.edits(msg.headers, sanitised, leading_space=leading_space)
        return [*edits, milter.packet(milter.ACCEPT)], None

    headers = [
        (b"Subject", b" original"),
        (b"To", b" user@lgwan.lab.invalid"),
        (b"X-Mailsan", b" forged"),
        (b"Received", b" from a\n\tby b"),
    ]
    answer = asyncio.run(_conversation(handler, _message_script(headers, b"body\r\n")))
    replies = _packets(answer)
    # OPTNEG: version 6, our actions, and no replies asked for MAIL/RCPT/HEADER/BODY.
    cmd, data = replies[0]
    assert cmd == milter.OPTNEG
    _, actions, protocol = struct.unpack(">III", data)
    assert actions == milter.ACTIONS
    assert protocol & milter.P_NR_HDR
    assert protocol & milter.P_NR_BODY
    assert protocol & milter.P_HDR_LEADSPC
    kinds = [c for c, _ in replies[1:]]
    assert kinds[-1] == milter.ACCEPT  # nothing but the EOB answer was sent
    (msg,) = seen
    assert (msg.mail_from, msg.rcpt_to) == ("sender@internet.example", ["user@lgwan.lab.invalid"])
    assert msg.macros["i"] == "QUEUE1"
    assert msg.raw(leading_space=True).startswith(b"Subject: original\r\nTo: user@")
    assert b"Received: from a\r\n\tby b\r\n\r\nbody\r\n" in msg.raw(leading_space=True)
    changes = {(c, d[4:].split(b"\0")[0], d[4:].split(b"\0")[1]) for c, d in replies if c == b"m"}
    # Subject changed in place; X-Mailsan and Received deleted (empty value); To kept.
    assert (milter.CHGHEADER, b"Subject", b" changed") in changes
    assert (milter.CHGHEADER, b"X-Mailsan", b"") in changes
    assert (milter.CHGHEADER, b"Received", b"") in changes
    assert not any(name == b"To" for _, name, _ in changes)
    assert (milter.ADDHEADER, b"X-New\0 added\0") in replies
    body = b"".join(d for c, d in replies if c == milter.REPLBODY)
    assert body == b"x" * 70_000
    assert max(len(d) for c, d in replies if c == milter.REPLBODY) <= milter.CHUNK


def test_failures_answer_4xx_and_oversize_5xx() -> None:
    async def broken(_msg: milter.Message, _leading_space: bool) -> milter.Answer:
        raise OSError("disk gone")

    answer = asyncio.run(_conversation(broken, _message_script([(b"To", b" u@x")], b"b\r\n")))
    cmd, data = _packets(answer)[-1]
    assert cmd == milter.REPLYCODE
    assert data.startswith(b"451 4.3.0")

    async def never(_msg: milter.Message, _leading_space: bool) -> milter.Answer:
        raise AssertionError("an oversize message must not reach the handler")

    async def small_limit() -> bytes:
        server = await asyncio.get_running_loop().create_server(
            lambda: milter.MilterProtocol(never, 1000), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(_message_script([(b"To", b" u@x")], b"y" * 5000)))
        await writer.drain()
        data = b""
        while not data.endswith(b"\0") or milter.REPLYCODE not in data:
            data += await asyncio.wait_for(reader.read(65536), 2)
        writer.close()
        server.close()
        return data

    cmd, data = _packets(asyncio.run(small_limit()))[-1]
    assert (cmd, data[:3]) == (milter.REPLYCODE, b"552")


def test_garbage_closes_the_connection() -> None:
    async def handler(_msg: milter.Message, _leading_space: bool) -> milter.Answer:
        raise AssertionError("never called")

    answer = asyncio.run(_conversation(handler, [b"\xff\xff\xff\xffjunk"]))
    assert answer == b""


def test_converter_time_limit_and_crash_hold_the_message() -> None:
    converters = Converters(DEFAULT_POLICY, time_limit=2, count=1)
    try:
        # The constructor waited for the child's import: the first message does not pay it.
        assert all(child.ready for child in converters._free)
        slow = compose.with_attachment(compose.slow_pdf(60_000), "slow.pdf", "application/pdf")
        started = time.monotonic()
        result = converters.run(slow, "id-slow")
        assert time.monotonic() - started < 10
        assert result.verdict is Verdict.HOLD
        assert result.objects[0].action is Action.HELD
        assert "longer than 2 s" in result.objects[0].reason
        assert_safe(result.message)
        assert converters.killed == 1
        assert not converters._free[0].ready  # the replacement is waited for when first used
        # The replacement child works; a child killed mid-conversion holds that message.
        ok = converters.run(compose.with_attachment(compose.png(), "p.png"), "id-ok")
        assert ok.verdict is Verdict.DELIVER
        child = converters._free[0]
        assert child.proc.pid is not None
        killer = threading.Timer(0.5, os.kill, (child.proc.pid, signal.SIGKILL))
        killer.start()
        crashed = converters.run(slow, "id-crash")
        killer.join()
        assert crashed.verdict is Verdict.HOLD
        assert "died" in crashed.objects[0].reason
        # Plain text is sanitised inline, without a child.
        assert Converters.inline(compose.message("本文").as_bytes())
        assert not Converters.inline(slow)
    finally:
        converters.close()


def test_a_converter_gone_while_idle_is_replaced_without_holding_the_message() -> None:
    """Killed from outside between two messages (out of memory, an operator): not the next
    message's fault, so it is sanitised by a fresh child instead of being held."""
    converters = Converters(DEFAULT_POLICY, time_limit=30, count=1)
    try:
        child = converters._free[0]
        assert child.proc.pid is not None
        os.kill(child.proc.pid, signal.SIGKILL)
        child.proc.join(10)
        picture = compose.with_attachment(compose.png(), "p.png")
        result = converters.run(picture, "id-after")
        assert result.verdict is Verdict.DELIVER
        assert (converters.restarted, converters.killed) == (1, 0)
        assert converters._free[0] is not child
    finally:
        converters.close()


@pytest.mark.parametrize("value", [b" plain", b"  two spaces", b"\tfolded\n\tline"])
def test_raw_keeps_header_values_exactly(value: bytes) -> None:
    msg = milter.Message(headers=[(b"Subject", value)], body=[b"b\r\n"])
    raw = msg.raw(leading_space=True)
    assert raw == b"Subject:" + value.replace(b"\n", b"\r\n") + b"\r\n\r\nb\r\n"


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, _name: str, default: object = None) -> object:
        return default


@pytest.mark.parametrize("piece", [1, 3, 7, 4096, 65540, 1 << 20])
def test_packets_split_anywhere_give_the_same_message(piece: int) -> None:
    # However the stream is cut into reads, every packet is taken whole and in order.
    seen: list[bytes] = []

    async def handler(msg: milter.Message, leading_space: bool) -> milter.Answer:
        seen.append(msg.raw(leading_space=leading_space))
        return [milter.packet(milter.ACCEPT)], None

    body = bytes(range(256)) * 700  # 179,200 bytes: three full body packets and a part
    stream = b"".join(_message_script([(b"Subject", b" split")], body)) * 2

    async def run() -> _Transport:
        proto = milter.MilterProtocol(handler, 1_000_000)
        transport = _Transport()
        proto.connection_made(transport)
        for start in range(0, len(stream), piece):
            proto.data_received(stream[start : start + piece])
            await asyncio.sleep(0)  # let an end-of-message answer run, as the loop would
        for _ in range(10):
            await asyncio.sleep(0)
        return transport

    transport = asyncio.run(run())
    assert seen == [b"Subject: split\r\n\r\n" + body] * 2
    kinds = [c for c, _ in _packets(bytes(transport.sent))]
    assert kinds.count(milter.ACCEPT) == 2
    assert not transport.closed


def test_a_bad_length_after_good_packets_closes_and_drops_the_rest() -> None:
    async def handler(_msg: milter.Message, _leading_space: bool) -> milter.Answer:
        return [milter.packet(milter.ACCEPT)], None

    good = milter.packet(milter.OPTNEG, struct.pack(">III", 6, OFFERED_ACTIONS, OFFERED_PROTOCOL))

    async def run() -> tuple[_Transport, milter.MilterProtocol]:
        proto = milter.MilterProtocol(handler, 1_000_000)
        transport = _Transport()
        proto.connection_made(transport)
        proto.data_received(good + struct.pack(">I", milter.MAX_PACKET + 1) + b"X" * 64)
        return transport, proto

    transport, proto = asyncio.run(run())
    assert [c for c, _ in _packets(bytes(transport.sent))] == [milter.OPTNEG]
    assert transport.closed
    assert proto.buffer == bytearray()
