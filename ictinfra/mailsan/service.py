"""The filter service: several worker processes in front of (milter) or behind Postfix.

Two modes, one configuration (``FilterConfig.mode``):

``milter`` (the default): a before-queue Sendmail milter (``ictinfra.mailsan.milter``).
Postfix's smtpd streams each message to a worker; at end-of-message the worker stores the
original in the quarantine (encrypted, fdatasync'ed with every other message stored
meanwhile: group commit), sanitises it (in a converter child under a time limit,
``ictinfra.mailsan.converter``), and answers with the edits that turn the received message
into the sanitised one, then ACCEPT. Postfix queues the result only then, in its one
queue; the sender gets 250 only after that. Any failure, a dead worker or Postfix's
milter timeout answers 4xx (``milter_default_action = tempfail``): the sending MTA keeps
the message and retries. There is no second queue, so no window in which a message can be
delivered twice.

``content_filter``: the earlier after-queue design (``content_filter = scan:...``): a
worker stores, sanitises, re-injects into Postfix's second smtpd and only then answers
250. It queues twice and a worker killed after the re-injection but before its 250 makes
Postfix deliver that message twice; kept for sites that cannot run milters.

The parent binds the listening socket once and forks the workers, which all accept on it
(the kernel hands each connection to an idle worker); a dead worker is replaced.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import multiprocessing
import os
import signal
import smtplib
import socket
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.parser import BytesHeaderParser
from pathlib import Path
from types import FrameType
from typing import Literal

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import BaseModel, ConfigDict, Field

from ictinfra.mailsan import milter
from ictinfra.mailsan.converter import Converters
from ictinfra.mailsan.errors import ReinjectionError
from ictinfra.mailsan.policy import SanitisePolicy
from ictinfra.mailsan.quarantine import Quarantine, QuarantineRecord, take_key
from ictinfra.mailsan.records import SanitiseResult, Verdict
from ictinfra.mailsan.sanitise import sanitise
from ictinfra.mailsan.text import decode_header_value

log = logging.getLogger("ictinfra.mailsan")


class FilterConfig(BaseModel):
    """How one filter service runs (written by the role, or by the tests' lab)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=10025, ge=1, le=65535)
    reinject_host: str = "127.0.0.1"
    reinject_port: int = Field(default=10026, ge=1, le=65535)
    workers: int = Field(default=2, ge=1, le=64)
    quarantine_dir: Path
    policy: SanitisePolicy
    hostname: str = "mailsan.localdomain"
    reinject_timeout: float = 60.0
    # milter (before-queue, the default) or content_filter (after-queue, re-injection).
    mode: Literal["milter", "content_filter"] = "milter"
    # A message whose conversion takes longer is held back with a notice (converter.py).
    message_time_limit: float = Field(default=120.0, gt=0, le=3600)
    # Converter children per worker (each runs one conversion at a time).
    converters: int = Field(default=1, ge=1, le=16)


def reinject(
    host: str,
    port: int,
    data: bytes,
    mail_from: str,
    rcpt_to: Sequence[str],
    timeout: float,
    on_accepted: Callable[[], None] = lambda: None,
) -> None:
    """Hand a message to an SMTP server; raises ReinjectionError unless all were accepted.

    ``on_accepted`` runs the moment the server has answered end-of-data, before QUIT,
    so the gap in which a crash makes Postfix retry an already re-injected message is
    the server's end-of-data processing, not a further round trip.
    """
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            refused = client.sendmail(mail_from, list(rcpt_to), data)
            if refused:
                raise ReinjectionError(f"re-injection refused recipients: {sorted(refused)}")
            on_accepted()
    except (smtplib.SMTPException, OSError) as exc:
        raise ReinjectionError(f"re-injection to {host}:{port} failed: {exc}") from exc


class Reinjector:
    """One SMTP connection to Postfix's re-injection smtpd, kept open between messages
    (connect, EHLO and QUIT cost as much as a small message); reopened after any error."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._client: smtplib.SMTP | None = None

    def send(
        self,
        data: bytes,
        mail_from: str,
        rcpt_to: Sequence[str],
        on_accepted: Callable[[], None],
    ) -> None:
        for attempt in (1, 2):
            fresh = self._client is None
            try:
                if self._client is None:
                    self._client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                refused = self._client.sendmail(mail_from, list(rcpt_to), data)
            except smtplib.SMTPServerDisconnected as exc:
                self.close()
                if fresh or attempt == 2:  # a kept connection may have timed out: retry once
                    raise ReinjectionError(
                        f"re-injection to {self.host}:{self.port}: {exc}"
                    ) from exc
                continue
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise ReinjectionError(f"re-injection to {self.host}:{self.port}: {exc}") from exc
            if refused:
                self.close()
                raise ReinjectionError(f"re-injection refused recipients: {sorted(refused)}")
            on_accepted()
            return

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None


class FilterHandler:
    """aiosmtpd handler: store, sanitise, re-inject, then acknowledge."""

    def __init__(self, config: FilterConfig, quarantine: Quarantine) -> None:
        self.config = config
        self.quarantine = quarantine
        self.reinjector = Reinjector(
            config.reinject_host, config.reinject_port, config.reinject_timeout
        )

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content
        if not isinstance(raw, bytes):
            return "451 4.3.0 no message content received"
        try:
            return self.process(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:  # any failure: Postfix keeps the message and retries
            log.exception("filter failure; answering 451")
            return "451 4.3.0 temporary filter failure, please retry"

    def process(self, raw: bytes, mail_from: str, rcpt_to: list[str]) -> str:
        cfg = self.config
        record, durable = self.quarantine.store_begin(raw, mail_from, rcpt_to)
        if record.status == "delivered":
            return f"250 2.0.0 already delivered as {record.id}"
        result = sanitise(raw, cfg.policy, quarantine_id=record.id)
        durable.wait()  # the original is on disk before anything leaves the filter
        headers = BytesHeaderParser(policy=email.policy.SMTP).parsebytes(raw[:65536])
        subject = headers.get("Subject")
        self.quarantine.record_result(
            record, result, decode_header_value(str(subject)) if subject else None
        )
        # A held message's notice goes out with the null sender so it can never bounce back.
        sender = mail_from if result.verdict is Verdict.DELIVER else ""
        self.reinjector.send(
            result.message,
            sender,
            rcpt_to,
            on_accepted=lambda: self.quarantine.mark_delivered(record.id),
        )
        return f"250 2.0.0 {result.verdict.value} {record.id}"


class MilterHandler:
    """End-of-message in milter mode: store, sanitise, answer with the edits."""

    def __init__(
        self, config: FilterConfig, quarantine: Quarantine, converters: Converters
    ) -> None:
        self.config = config
        self.quarantine = quarantine
        self.converters = converters
        # Blocking waits (converter answers, group-commit tickets) run here; one thread
        # per message in flight at most, as many as Postfix opens connections.
        self.pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="mailsan")

    async def on_message(
        self,
        msg: milter.Message,
        leading_space: bool,  # noqa: FBT001 - the protocol's callback signature
    ) -> milter.Answer:
        loop = asyncio.get_running_loop()
        raw = msg.raw(leading_space=leading_space)
        subject = next((v for n, v in msg.headers if n.lower() == b"subject"), None)
        # Storing, sanitising (a converter child's answer), the group commit's fdatasync
        # and the record all block: one thread does them in turn, so the event loop keeps
        # serving the other connections and a message costs one hand-over, not four.
        record, result = await loop.run_in_executor(
            self.pool,
            self._store_and_sanitise,
            raw,
            msg.mail_from,
            msg.rcpt_to,
            decode_header_value(subject.decode("utf-8", "surrogateescape").strip())
            if subject is not None
            else None,
        )
        replies = milter.edits(msg.headers, result.message, leading_space=leading_space)
        if result.verdict is not Verdict.DELIVER:
            # A held message's notice goes out with the null sender: it can never bounce.
            replies.insert(0, milter.packet(milter.CHGFROM, b"<>\0"))
        replies.append(milter.packet(milter.ACCEPT))
        ident = record.id
        return replies, lambda: self._mark_delivered_later(ident)

    def _store_and_sanitise(
        self, raw: bytes, mail_from: str, rcpt_to: list[str], subject: str | None
    ) -> tuple[QuarantineRecord, SanitiseResult]:
        record, durable = self.quarantine.store_begin(raw, mail_from, rcpt_to, index=False)
        result = self.converters.run(raw, record.id)  # the disk syncs meanwhile
        durable.wait()  # the original is on disk before anything leaves
        self.quarantine.record_result(record, result, subject)
        return record, result

    def _mark_delivered_later(self, ident: str) -> None:
        def mark() -> None:
            try:
                self.quarantine.mark_delivered(ident)
            except Exception:  # the message is Postfix's now: only the audit mark is missing
                log.exception("message %s: could not record the hand-over", ident)

        self.pool.submit(mark)


def _milter_worker(config: FilterConfig, sock: socket.socket, key: bytes) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    converters = Converters(config.policy, config.message_time_limit, config.converters)
    handler = MilterHandler(config, Quarantine(config.quarantine_dir, key), converters)
    limit = config.policy.max_message_bytes + 1024 * 1024
    loop = asyncio.new_event_loop()

    def factory() -> milter.MilterProtocol:
        return milter.MilterProtocol(handler.on_message, limit)

    server = loop.run_until_complete(loop.create_server(factory, sock=sock))
    try:
        loop.run_forever()
    finally:
        server.close()
        converters.close()


def _worker(config: FilterConfig, sock: socket.socket, key: bytes) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    handler = FilterHandler(config, Quarantine(config.quarantine_dir, key))
    limit = config.policy.max_message_bytes + 1024 * 1024
    loop = asyncio.new_event_loop()

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname=config.hostname,
            data_size_limit=limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="ictinfra-mailsan",
            loop=loop,
        )

    server = loop.run_until_complete(loop.create_server(factory, sock=sock))
    try:
        loop.run_forever()
    finally:
        server.close()


class Supervisor:
    """Binds the socket, keeps ``workers`` processes alive, stops them on request."""

    def __init__(self, config: FilterConfig, key: bytes) -> None:
        self.config = config
        self.key = key
        self.sock = socket.create_server(
            (config.listen_host, config.listen_port), reuse_port=False, backlog=128
        )
        self.ctx = multiprocessing.get_context("fork")
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.stopping = False

    def spawn(self) -> None:
        target = _milter_worker if self.config.mode == "milter" else _worker
        proc = self.ctx.Process(target=target, args=(self.config, self.sock, self.key))
        proc.start()
        self.procs.append(proc)

    def run(self) -> int:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for _ in range(self.config.workers):
            self.spawn()
        log.info(
            "%s on %s:%d, %d workers",
            self.config.mode,
            *self.sock.getsockname()[:2],
            self.config.workers,
        )
        while not self.stopping:
            time.sleep(0.2)
            for proc in list(self.procs):
                if not proc.is_alive():
                    log.warning("worker %s exited (%s); replacing it", proc.pid, proc.exitcode)
                    self.procs.remove(proc)
                    if not self.stopping:
                        self.spawn()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.join(5)
        self.sock.close()
        return 0


def serve_forever(config_path: Path) -> int:
    """Entry point of ``python -m ictinfra.mailsan serve --config FILE``."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s mailsan[%(process)d] %(levelname)s %(message)s",
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    config = FilterConfig.model_validate_json(config_path.read_bytes())
    key = take_key(config.policy.quarantine_key)
    os.umask(0o077)
    return Supervisor(config, key).run()
