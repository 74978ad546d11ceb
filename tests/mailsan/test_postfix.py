"""Every message through real Postfix and the real filter service (loopback only)."""

from __future__ import annotations

import email.policy
import os
import shutil
import signal
import smtplib
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

import pytest

from ictinfra.mailsan import DEFAULT_POLICY
from ictinfra.mailsan.lab import FilterProcess, PostfixLab, free_port
from ictinfra.mailsan.quarantine import Quarantine, load_key, new_key
from ictinfra.mailsan.service import FilterConfig
from tests.conftest import require_tool
from tests.mailsan import compose
from tests.mailsan.corpora import clamav_files, cpython_messages
from tests.mailsan.safety import assert_safe

pytestmark = pytest.mark.integration
DOMAIN = "lgwan.lab.invalid"


@dataclass
class Gateway:
    postfix: PostfixLab
    filter: FilterProcess
    quarantine: Quarantine

    def send(self, raw: bytes, rcpt: str = f"user@{DOMAIN}") -> None:
        # Postfix speaks CRLF on the wire; the corpora are stored with LF.
        data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.postfix.smtp_port, timeout=30) as client:
            client.sendmail("sender@internet.example", [rcpt], data)

    def wait_delivered(self, count: int, timeout: float = 90) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = self.postfix.delivered()
            if len(files) >= count and self.postfix.queued() == 0:
                return [f.read_bytes() for f in files]
            time.sleep(0.3)
        pytest.fail(
            f"{len(self.postfix.delivered())} of {count} delivered, {self.postfix.queued()} "
            f"queued\n{self.postfix.log()[-3000:]}\n{self.filter.log()[-3000:]}"
        )


@pytest.fixture
def lab_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: pytest keeps its base folder 0700, and Postfix's
    # unprivileged daemons must traverse to their queue and the mailboxes.
    path = Path(tempfile.mkdtemp(prefix="ictinfra-mailsan-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def gateway(lab_dir: Path) -> Iterator[Gateway]:
    require_tool("postfix")
    tmp_path = lab_dir
    key = new_key()
    policy = DEFAULT_POLICY
    lab = PostfixLab(tmp_path / "postfix", policy, filter_port=free_port())
    assert lab.filter_port is not None
    config = FilterConfig(
        listen_port=lab.filter_port,
        reinject_port=lab.reinject_port,
        workers=2,
        quarantine_dir=tmp_path / "quarantine",
        policy=policy,
    )
    service = FilterProcess(tmp_path / "filter", config, {"ICTINFRA_QUARANTINE_KEY": key})
    lab.start()
    try:
        service.start()
        quarantine = Quarantine(
            config.quarantine_dir,
            load_key(policy.quarantine_key, {"ICTINFRA_QUARANTINE_KEY": key}),
        )
        yield Gateway(lab, service, quarantine)
    finally:
        service.stop()
        lab.stop()


def _parse(raw: bytes) -> email.message.EmailMessage:
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(raw)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def _check_quarantined(gw: Gateway, delivered: bytes) -> bytes:
    ident = str(_parse(delivered)["X-Mailsan-Id"])
    original = gw.quarantine.original(ident)  # checks the recorded sha256 too
    assert gw.quarantine.get(ident).status == "delivered"
    return original


def test_corpora_through_postfix_and_filter(gateway: Gateway) -> None:
    sent: list[bytes] = [p.read_bytes() for p in cpython_messages()]
    sent += [
        compose.with_attachment(p.read_bytes(), p.name, "application/octet-stream")
        for p in clamav_files()
    ]
    sent += [compose.raw_japanese(cs) for cs in ("iso-2022-jp", "shift_jis", "euc-jp", "utf-8")]
    sent.append(compose.raw_japanese("shift_jis", html=True))
    ppap = compose.mark_encrypted(compose.zip_of({"見積書.xlsx": b"secret"}))
    sent.append(compose.with_attachment(ppap, "見積書.zip", "application/zip"))
    for raw in sent:
        gateway.send(raw)
    delivered = gateway.wait_delivered(len(sent))
    assert len(delivered) == len(sent)
    verdicts = Counter()
    for raw in delivered:
        msg = assert_safe(raw)
        verdicts[str(msg["X-Mailsan"]).split(";")[0]] += 1
        original = _check_quarantined(gateway, raw)
        assert b"X-Mailsan-Id" not in original
    assert verdicts["verdict=hold"] == 1
    assert verdicts["verdict=deliver"] == len(sent) - 1
    # Every original decrypts to what Postfix handed over: its body is the body we sent.
    bodies = {
        gateway.quarantine.original(r.id).split(b"\r\n\r\n", 1)[-1]
        for r in gateway.quarantine.records()
    }
    missing = []
    for index, raw in enumerate(sent):
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if b"\r\n\r\n" not in wire:
            continue  # no header/body separator: Postfix's cleanup writes one itself
        body = wire.split(b"\r\n\r\n", 1)[-1]
        if not any(b.endswith(body) for b in bodies):
            missing.append(index)
    assert missing == []


def test_killing_workers_and_the_service_loses_nothing(gateway: Gateway) -> None:
    count = 240
    sent_done = threading.Event()

    def sender() -> None:
        for i in range(count):
            msg = compose.message(f"本文 {i} https://x.example/{i}", subject=f"kill-test {i}")
            if i % 3 == 0:
                msg.add_alternative(f"<p>HTML {i} <a href='https://y.example/'>y</a></p>", "html")
            gateway.send(msg.as_bytes())
        sent_done.set()

    thread = threading.Thread(target=sender)
    thread.start()
    killed = 0
    deadline = time.monotonic() + 60
    while killed < 3 and time.monotonic() < deadline:
        time.sleep(0.7)
        pids = gateway.filter.worker_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)  # a worker dies mid-stream; it is replaced
            killed += 1
    assert killed == 3
    gateway.filter.kill()  # then the whole service
    time.sleep(2)
    gateway.filter.start()
    thread.join(120)
    assert sent_done.is_set()
    gateway.postfix.flush()
    delivered = gateway.wait_delivered(count, timeout=100)
    subjects = Counter(str(_parse(raw)["Subject"]) for raw in delivered)
    assert set(subjects) == {f"kill-test {i}" for i in range(count)}  # nothing lost
    # A worker killed after Postfix's re-injection smtpd took the sanitised copy but before
    # the filter answered 250 makes Postfix retry the original: that message then arrives
    # twice. The after-queue design cannot close that window (Postfix's own fsync); it
    # bounds duplicates by the number of kills, and the bench's 2,000-message run counts
    # them. Never more than one extra copy per kill:
    twice = sum(n - 1 for n in subjects.values())
    assert twice <= killed + 1, subjects.most_common(5)
    for raw in delivered[:20]:
        assert_safe(raw)
        _check_quarantined(gateway, raw)


def test_reinjection_failure_defers_and_nothing_is_acknowledged(
    gateway: Gateway, lab_dir: Path
) -> None:
    # The filter re-injects to a dead port: every attempt must answer 4xx, so Postfix keeps
    # the message; once the filter is right again, it is delivered once.
    gateway.filter.stop()
    broken = gateway.filter.config.model_copy(update={"reinject_port": free_port()})
    bad = FilterProcess(lab_dir / "broken", broken, gateway.filter.env)
    bad.start()
    try:
        gateway.send(compose.message("deferred", subject="defer-test").as_bytes())
        deadline = time.monotonic() + 30
        while "451 4.3.0" not in gateway.postfix.log() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "451 4.3.0" in gateway.postfix.log()
        assert gateway.postfix.delivered() == []
        assert gateway.postfix.queued() == 1
        (record,) = gateway.quarantine.records()
        assert record.status != "delivered"  # stored first, never marked delivered
    finally:
        bad.stop()
    gateway.filter.start()
    gateway.postfix.flush()
    (raw,) = gateway.wait_delivered(1)
    assert str(_parse(raw)["Subject"]) == "defer-test"


def test_fifty_megabyte_message_and_oversize(gateway: Gateway) -> None:
    # Random bytes: no compression shortcut anywhere; just under the 50 MB policy limit.
    big = compose.with_attachment(os.urandom(36 * 1024 * 1024), "data.bin")
    assert 50_000_000 < len(big) < DEFAULT_POLICY.max_message_bytes
    gateway.send(big)
    (raw,) = gateway.wait_delivered(1, timeout=150)
    msg = assert_safe(raw)
    assert "removed=1" in str(msg["X-Mailsan"])
    assert len(raw) < 100_000
    assert len(_check_quarantined(gateway, raw)) > len(big)  # plus Postfix's Received
    # Over the limit: Postfix refuses it during the SMTP session (the sender keeps it).
    oversize = compose.with_attachment(os.urandom(40 * 1024 * 1024), "more.bin")
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        gateway.send(oversize)
    assert refused.value.smtp_code == 552
