"""Every message through real Postfix and the real filter service (loopback only)."""

from __future__ import annotations

import email.policy
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.mailsan import DEFAULT_POLICY, SanitisePolicy
from ictinfra.mailsan.lab import FilterProcess, PostfixLab, free_port
from ictinfra.mailsan.quarantine import Quarantine, load_key, new_key
from ictinfra.mailsan.service import FilterConfig
from tests.conftest import ROOT, require_tool
from tests.mailsan import compose
from tests.mailsan.corpora import clamav_files, cpython_messages
from tests.mailsan.safety import assert_safe, body_text

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


def _start_gateway(
    root: Path,
    *,
    mode: str = "milter",
    policy: SanitisePolicy = DEFAULT_POLICY,
    workers: int = 2,
    message_time_limit: float = 120.0,
) -> Gateway:
    key = new_key()
    lab = PostfixLab(root / "postfix", policy, filter_port=free_port(), mode=mode)
    assert lab.filter_port is not None
    config = FilterConfig.model_validate(
        {
            "listen_port": lab.filter_port,
            "reinject_port": lab.reinject_port,
            "workers": workers,
            "quarantine_dir": root / "quarantine",
            "policy": policy,
            "mode": mode,
            "message_time_limit": message_time_limit,
        }
    )
    service = FilterProcess(root / "filter", config, {"ICTINFRA_QUARANTINE_KEY": key})
    lab.start()
    try:
        service.start()
    except BaseException:
        lab.stop()
        raise
    quarantine = Quarantine(
        config.quarantine_dir, load_key(policy.quarantine_key, {"ICTINFRA_QUARANTINE_KEY": key})
    )
    return Gateway(lab, service, quarantine)


def _stop(gw: Gateway) -> None:
    gw.filter.stop()
    gw.postfix.stop()


@pytest.fixture
def gateway(lab_dir: Path) -> Iterator[Gateway]:
    """Postfix with the sanitiser as its before-queue milter (the default mode)."""
    require_tool("postfix")
    gw = _start_gateway(lab_dir)
    try:
        yield gw
    finally:
        _stop(gw)


def _parse(raw: bytes) -> email.message.EmailMessage:
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(raw)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def _check_quarantined(gw: Gateway, delivered: bytes) -> bytes:
    ident = str(_parse(delivered)["X-Mailsan-Id"])
    original = gw.quarantine.original(ident)  # checks the recorded sha256 too
    # The "handed to Postfix" mark is written just after the answer, so on a loaded
    # machine Postfix may deliver before the worker gets the CPU back to write it.
    deadline = time.monotonic() + 10
    while gw.quarantine.get(ident).status != "delivered" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gw.quarantine.get(ident).status == "delivered", gw.filter.log()[-2000:]
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


def test_killing_workers_and_the_service_delivers_each_message_once(
    gateway: Gateway, lab_dir: Path
) -> None:
    # The sender is a real MTA: an upstream Postfix relaying into the filtered one, which
    # retries on 4xx and on dropped connections as any internet MTA does.
    count = 300
    upstream = PostfixLab(
        lab_dir / "upstream",
        DEFAULT_POLICY,
        relay_port=gateway.postfix.smtp_port,
        hostname="upstream.lab.invalid",
    )
    upstream.start()
    try:
        sent_done = threading.Event()

        def sender() -> None:
            with smtplib.SMTP("127.0.0.1", upstream.smtp_port, timeout=30) as client:
                for i in range(count):
                    msg = compose.message(f"本文 {i} https://x.example/{i}", subject=f"kill {i}")
                    if i % 3 == 0:
                        msg.add_alternative(
                            f"<p>HTML {i} <a href='https://y.example/'>y</a>", "html"
                        )
                    msg.replace_header("To", f"user@{DOMAIN}")
                    client.sendmail("sender@internet.example", [f"user@{DOMAIN}"], msg.as_bytes())
            sent_done.set()

        thread = threading.Thread(target=sender)
        thread.start()
        killed = 0
        deadline = time.monotonic() + 90
        while killed < 3 and time.monotonic() < deadline:
            time.sleep(0.8)
            pids = gateway.filter.worker_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)  # a worker dies mid-stream; it is replaced
                killed += 1
        assert killed == 3
        gateway.filter.kill()  # then the whole service: Postfix answers 4xx meanwhile
        time.sleep(3)
        gateway.filter.start()
        thread.join(120)
        assert sent_done.is_set()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and (
            upstream.queued() or len(gateway.postfix.delivered()) < count
        ):
            upstream.flush()
            time.sleep(2)
        delivered = gateway.wait_delivered(count, timeout=60)
        assert upstream.queued() == 0
        subjects = Counter(str(_parse(raw)["Subject"]) for raw in delivered)
        assert set(subjects) == {f"kill {i}" for i in range(count)}  # nothing lost
        assert subjects.most_common(1)[0][1] == 1, subjects.most_common(3)  # none twice
        # The kills really hit messages in flight: Postfix answered some with 4xx.
        assert "451" in upstream.log() or "Service unavailable" in gateway.postfix.log()
        for raw in delivered[:: count // 15]:
            assert_safe(raw)
            _check_quarantined(gateway, raw)
    finally:
        upstream.stop()


def test_internal_failure_answers_4xx_and_the_sender_keeps_the_mail(gateway: Gateway) -> None:
    # The quarantine cannot write its records: the milter answers 451 at end of data, so
    # the sending MTA keeps the message; nothing is delivered unsanitised or at all.
    gateway.send(compose.message("first", subject="first").as_bytes())
    gateway.wait_delivered(1)  # the workers are up and have used the index
    index = gateway.quarantine.root / "index.sqlite"
    for path in gateway.quarantine.root.glob("index.sqlite*"):
        path.unlink()
    index.mkdir()  # the workers notice the index is gone, and cannot open another
    raw = compose.message("保存できない", subject="tempfail-test").as_bytes()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        gateway.send(raw)
    assert refused.value.smtp_code == 451, gateway.filter.log()[-3000:]
    time.sleep(1)
    assert len(gateway.postfix.delivered()) == 1
    assert gateway.postfix.queued() == 0
    index.rmdir()
    gateway.send(raw)  # the sender's retry
    delivered = gateway.wait_delivered(2)
    (retried,) = [r for r in delivered if str(_parse(r)["Subject"]) == "tempfail-test"]
    assert_safe(retried)
    _check_quarantined(gateway, retried)


def test_reinjection_failure_defers_in_content_filter_mode(lab_dir: Path) -> None:
    # The after-queue mode: the filter re-injects to a dead port, every attempt answers
    # 4xx, Postfix keeps the message; once the filter is right again, it is delivered once.
    require_tool("postfix")
    gateway = _start_gateway(lab_dir / "cf", mode="content_filter")
    try:
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
        assert_safe(raw)
    finally:
        _stop(gateway)


def test_conversion_time_limit_holds_the_message_and_the_worker_goes_on(lab_dir: Path) -> None:
    # A PDF that takes pypdfium2 ~20 s to render (100,000 strokes): over the 3 s limit the
    # converter child is killed and replaced and the message held with a notice; the
    # next message goes through the same single worker at once.
    require_tool("postfix")
    gateway = _start_gateway(lab_dir / "slow", workers=1, message_time_limit=3)
    try:
        slow = compose.with_attachment(compose.slow_pdf(100_000), "report.pdf", "application/pdf")
        started = time.monotonic()
        gateway.send(slow)
        assert time.monotonic() - started < 15
        (held,) = gateway.wait_delivered(1)
        msg = assert_safe(held)
        assert str(msg["X-Mailsan"]).startswith("verdict=hold")
        assert "longer than 3 s" in body_text(held)
        original = _check_quarantined(gateway, held)
        assert original.endswith(slow.split(b"\r\n\r\n", 1)[1])
        record = gateway.quarantine.get(str(msg["X-Mailsan-Id"]))
        assert record.verdict == "hold"
        gateway.send(compose.with_attachment(compose.png(), "p.png", "image/png"))
        delivered = gateway.wait_delivered(2)
        assert any("converted=1" in str(_parse(r)["X-Mailsan"]) for r in delivered)
    finally:
        _stop(gateway)


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


def _legacy_doc(docx_data: bytes, folder: Path) -> bytes:
    """A binary Word 97 .doc: the python-docx document saved as .doc by LibreOffice."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.docx").write_bytes(docx_data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(folder),
            str(folder / "source.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(folder)},
    )
    return (folder / "source.doc").read_bytes()


def test_office_documents_become_image_only_pdfs(lab_dir: Path) -> None:
    # Real Word/Excel/PowerPoint files (python-docx, openpyxl, python-pptx; a Word 97 .doc
    # saved by LibreOffice) through Postfix and the filter, under the inventory's policy:
    # each is printed to PDF by LibreOffice in a converter child, then rendered to an
    # image-only PDF. Macros are removed before conversion; an encrypted one is held.
    require_tool("postfix")
    require_tool("soffice")
    inventory = load_inventory(ROOT / "inventory")
    policy = SanitisePolicy.from_mail_policy(inventory.mail_policy)
    policy = policy.model_copy(
        update={"allowed_types": (*policy.allowed_types, "application/msword")}
    )
    word = compose.word_document()
    files = {
        "議事録.docx": word,
        "予算.xlsx": compose.spreadsheet(),
        "説明会.pptx": compose.presentation(),
        "旧形式.doc": _legacy_doc(word, lab_dir / "doc"),
    }
    gateway = _start_gateway(lab_dir / "office", policy=policy)
    try:
        for name, data in files.items():
            gateway.send(compose.with_attachment(data, name))
        gateway.send(compose.with_attachment(compose.docm_with_macros(), "macro.docx"))
        gateway.send(compose.with_attachment(compose.encrypted_docx(), "secret.docx"))
        delivered = gateway.wait_delivered(len(files) + 2, timeout=240)
        converted, removed, held = [], 0, 0
        for raw in delivered:
            msg = assert_safe(raw)  # every PDF delivered is image-only
            mark = str(msg["X-Mailsan"])
            if "verdict=hold" in mark:
                held += 1
            elif "removed=1" in mark:
                removed += 1
                assert "macros" in body_text(raw)
            else:
                assert "converted=1" in mark, mark
                names = [p.get_filename() for p in msg.iter_attachments()]
                assert len(names) == 1, names
                assert str(names[0]).endswith(".pdf"), names
                converted.append(str(names[0]))
            _check_quarantined(gateway, raw)
        assert sorted(converted) == sorted(f"{name}.pdf" for name in files)
        assert (removed, held) == (1, 1)
    finally:
        _stop(gateway)
