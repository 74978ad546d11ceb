"""More real mail and files nobody on the project wrote, through real Postfix and the real
filter: oletools' test data (Office files with macros, DDE, embedded objects, Excel 4
macros, encrypted documents, password-protected zips) and mail-parser's test mails
(malformed, Outlook, real spam), both from their PyPI source distributions at pinned
versions and hashes. Only their data is read; neither package is installed or imported.

For every message: exactly one message reaches the mailbox (the sanitised mail or the
notice of a held one); it has no HTML part, no macro/script/executable attachment, no
active PDF, no clickable link; its original is in the quarantine and decrypts to what
Postfix handed over (its body is the body sent).
"""

from __future__ import annotations

import email.policy
import fcntl
import hashlib
import shutil
import smtplib
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from ictinfra.mailsan import DEFAULT_POLICY
from ictinfra.mailsan.lab import FilterProcess, PostfixLab, free_port
from ictinfra.mailsan.quarantine import Quarantine, load_key, new_key
from ictinfra.mailsan.service import FilterConfig
from tests.conftest import require_tool
from tests.mailsan import compose
from tests.mailsan.safety import assert_safe

pytestmark = pytest.mark.integration
DOMAIN = "lgwan.lab.invalid"
KEY_ENV = "ICTINFRA_QUARANTINE_KEY"
MACRO_EXTENSIONS = (".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm")
ACTIVE_BY_NAME = (*MACRO_EXTENSIONS, ".slk", ".iqy", ".xlsb", ".xls", ".doc", ".ppt", ".rtf")
CACHE = Path(__file__).resolve().parents[2] / "build" / "corpora"

# Source distributions on PyPI: name, version, file, sha256 (a changed file fails the test).
SDISTS = {
    "oletools": (
        "0.60.2",
        "oletools-0.60.2.zip",
        "ad452099f4695ffd8855113f453348200d195ee9fa341a09e197d66ee7e0b2c3",
    ),
    "mail-parser": (
        "4.8.0",
        "mail_parser-4.8.0.tar.gz",
        "602e659b159652d378b0f9cce2d682bee692bedae72687786e2b2e52eaeb9afc",
    ),
}


def _sdist(name: str) -> Path:
    """The pinned source distribution, downloaded once into build/corpora and checked."""
    version, filename, digest = SDISTS[name]
    path = CACHE / filename
    CACHE.mkdir(parents=True, exist_ok=True)
    # One download at a time (pytest-xdist workers), into a temporary folder, then renamed.
    with (CACHE / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--no-binary",
                        ":all:",
                        "--disable-pip-version-check",
                        f"{name}=={version}",
                        "-d",
                        tmp,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
                (Path(tmp) / filename).replace(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path}: unexpected hash"
    return path


def oletools_files() -> dict[str, bytes]:
    """oletools' tests/test-data: every file, by its path in the package."""
    prefix = "oletools-0.60.2/tests/test-data/"
    with zipfile.ZipFile(_sdist("oletools")) as zf:
        files = {
            info.filename[len(prefix) :]: zf.read(info)
            for info in zf.infolist()
            if info.filename.startswith(prefix) and not info.is_dir()
        }
    assert len(files) >= 100, f"oletools test data: {len(files)} files"
    return files


def mail_parser_mails() -> dict[str, bytes]:
    """mail-parser's tests/mails: real messages (malformed, Outlook, spam with attachments)."""
    prefix = "mail_parser-4.8.0/tests/mails/"
    out: dict[str, bytes] = {}
    with tarfile.open(_sdist("mail-parser")) as tf:
        for member in tf.getmembers():
            if member.isfile() and member.name.startswith(prefix):
                handle = tf.extractfile(member)
                assert handle is not None
                out[member.name[len(prefix) :]] = handle.read()
    assert len(out) >= 20, f"mail-parser test mails: {len(out)}"
    return out


@dataclass
class Gateway:
    postfix: PostfixLab
    filter: FilterProcess
    quarantine: Quarantine

    def send(self, raw: bytes) -> str:
        """The SMTP outcome: 'accepted', or the code of a refusal (a refusal is not a loss:
        the sender keeps the message and knows it)."""
        data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        try:
            with smtplib.SMTP("127.0.0.1", self.postfix.smtp_port, timeout=120) as client:
                client.sendmail("sender@internet.example", [f"user@{DOMAIN}"], data)
        except smtplib.SMTPResponseException as exc:
            return str(exc.smtp_code)
        return "accepted"

    def wait_delivered(self, count: int, timeout: float = 600) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = self.postfix.delivered()
            if len(files) >= count and self.postfix.queued() == 0:
                return [f.read_bytes() for f in files]
            time.sleep(0.5)
        pytest.fail(
            f"{len(self.postfix.delivered())} of {count} delivered, {self.postfix.queued()} "
            f"queued\n{self.postfix.log()[-3000:]}\n{self.filter.log()[-3000:]}"
        )


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    require_tool("postfix")
    # Not under pytest's tmp_path: Postfix's unprivileged daemons must traverse to it.
    root = Path(tempfile.mkdtemp(prefix="ictinfra-corpora-"))
    key = new_key()
    lab = PostfixLab(root / "postfix", DEFAULT_POLICY, filter_port=free_port())
    assert lab.filter_port is not None
    config = FilterConfig(
        listen_port=lab.filter_port,
        reinject_port=lab.reinject_port,
        workers=2,
        quarantine_dir=root / "quarantine",
        policy=DEFAULT_POLICY,
    )
    service = FilterProcess(root / "filter", config, {KEY_ENV: key})
    lab.start()
    try:
        service.start()
        quarantine = Quarantine(
            config.quarantine_dir, load_key(DEFAULT_POLICY.quarantine_key, {KEY_ENV: key})
        )
        yield Gateway(lab, service, quarantine)
    finally:
        service.stop()
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def _wire_body(raw: bytes) -> bytes | None:
    wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in wire:
        return None  # no header/body separator: Postfix's cleanup writes one itself
    return wire.split(b"\r\n\r\n", 1)[1]


def _account(gw: Gateway, sent: dict[str, bytes]) -> Counter[str]:
    """Every message sent is delivered exactly once (sanitised or as a notice), safe, with
    its original in the quarantine; returns the verdicts."""
    outcomes = {name: gw.send(raw) for name, raw in sent.items()}
    refused = {name: code for name, code in outcomes.items() if code != "accepted"}
    # A permanent refusal would be a loss the sender might not notice; a temporary one the
    # sending MTA retries. Neither is expected for these sizes and this policy.
    assert refused == {}, refused
    delivered = gw.wait_delivered(len(sent))
    assert len(delivered) == len(sent), "a message was lost or delivered twice"
    verdicts: Counter[str] = Counter()
    delivered_ids = []
    for raw in delivered:
        msg = assert_safe(raw)
        for part in msg.iter_attachments():
            name = (part.get_filename() or "").lower()
            # Excel opens these by name whatever the content: formulas and macros run.
            assert not name.endswith(ACTIVE_BY_NAME), name
        verdict = str(msg["X-Mailsan"]).split(";")[0]
        verdicts[verdict] += 1
        ident = str(msg["X-Mailsan-Id"])
        delivered_ids.append(ident)
        if verdict == "verdict=hold":
            assert ident in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(set(delivered_ids)) == len(delivered_ids), "one original delivered twice"
    # Each original decrypts (and matches its recorded hash); its body is a body we sent.
    originals = {ident: gw.quarantine.original(ident) for ident in delivered_ids}
    bodies = [o.split(b"\r\n\r\n", 1)[-1] for o in originals.values()]
    unmatched = [
        name
        for name, raw in sent.items()
        if (body := _wire_body(raw)) is not None and not any(b.endswith(body) for b in bodies)
    ]
    assert unmatched == []
    return verdicts


def test_oletools_test_data_as_attachments(gateway: Gateway) -> None:
    files = oletools_files()
    sent = {
        path: compose.with_attachment(data, Path(path).name, "application/octet-stream")
        for path, data in sorted(files.items())
    }
    verdicts = _account(gateway, sent)
    # Encrypted Office documents are held (password-protected zips too); the rest delivered.
    encrypted = [p for p in files if p.startswith("encrypted/") or p == "basic/encrypted.docx"]
    assert verdicts["verdict=hold"] >= len(encrypted)
    assert verdicts["verdict=deliver"] + verdicts["verdict=hold"] == len(sent)
    # Every macro carrier (VBA, Excel 4, forms) was removed or held, never converted or kept.
    for record in gateway.quarantine.records():
        for obj in record.objects:
            if obj.path.lower().endswith(MACRO_EXTENSIONS):
                assert obj.action.value in ("removed", "held"), obj


def test_mail_parser_test_mails(gateway: Gateway) -> None:
    mails = mail_parser_mails()
    # mail_outlook_1 is an Outlook .msg file (OLE), not an Internet message: it travels as
    # the attachment a user would forward, the others as the raw messages they are.
    ole = {name for name, data in mails.items() if data.startswith(b"\xd0\xcf\x11\xe0")}
    assert ole == {"mail_outlook_1"}
    mails = {
        name: compose.with_attachment(data, f"{name}.msg", "application/vnd.ms-outlook")
        if name in ole
        else data
        for name, data in mails.items()
    }
    verdicts = _account(gateway, mails)
    assert verdicts["verdict=deliver"] >= len(mails) - 2, verdicts


def test_a_dde_formula_in_a_csv_does_not_reach_a_spreadsheet() -> None:
    from ictinfra.mailsan import sanitise  # noqa: PLC0415 - the offline code path

    data = oletools_files()["msodde/dde-in-csv.csv"]
    result = sanitise(compose.with_attachment(data, "dde-in-csv.csv"), DEFAULT_POLICY)
    for part in _parse(result.message).iter_attachments():
        name = (part.get_filename() or "").lower()
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        formula = any(
            line.lstrip().startswith((b"=", b"+", b"-", b"@")) and b"|" in line
            for line in payload.splitlines()
        )
        assert not (formula and name.endswith((".csv", ".slk", ".xls"))), name
