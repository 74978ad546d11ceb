"""The sanitising file transfer: real files through the mail sanitiser's code (in its
converter children), the real encrypted quarantine, crashes at each step, a file that takes
longer than the time limit, and the command line."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import magic
import pikepdf
import pytest
import yaml
from PIL import Image
from pydantic import ValidationError

from ictinfra.isolation import transfer
from ictinfra.isolation.transfer import (
    OutboxClaims,
    Transfer,
    TransferConfig,
    TransferError,
    pending,
)
from ictinfra.mailsan.attachments import Outcome
from ictinfra.mailsan.converter import Converters
from ictinfra.mailsan.policy import DEFAULT_POLICY
from ictinfra.mailsan.quarantine import Quarantine, load_key, new_key
from ictinfra.mailsan.records import Action, ObjectRecord
from ictinfra.mailsan.service import FilterConfig
from tests.mailsan import compose
from tests.mailsan.safety import assert_image_only_pdf

KEY_ENV = "ICTINFRA_QUARANTINE_KEY"
ELF = Path("/bin/true").read_bytes()


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def config(tmp_path: Path) -> TransferConfig:
    for sub in ("inbox", "outbox"):
        (tmp_path / sub).mkdir()
    return TransferConfig(
        inbox=tmp_path / "inbox",
        outbox=tmp_path / "outbox",
        quarantine_dir=tmp_path / "quarantine",
        policy=DEFAULT_POLICY,
        settle_seconds=0,
        retry_seconds=0,
    )


MakeTransfer = Callable[[TransferConfig, str], Transfer]


@pytest.fixture
def transfers() -> Iterator[MakeTransfer]:
    """Make Transfer objects; their converter children are stopped after the test."""
    made: list[Transfer] = []

    def make(config: TransferConfig, key: str) -> Transfer:
        made.append(Transfer(config, load_key(config.policy.quarantine_key, {KEY_ENV: key})))
        return made[-1]

    yield make
    for tr in made:
        tr.close()


def _drop(config: TransferConfig, name: str, data: bytes) -> Path:
    path = config.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _outbox(config: TransferConfig) -> dict[str, bytes]:
    return {
        p.relative_to(config.outbox).as_posix(): p.read_bytes()
        for p in sorted(config.outbox.rglob("*"))
        if p.is_file()
    }


def test_each_kind_of_file_crosses_only_in_a_safe_form(
    config: TransferConfig, key: str, transfers: MakeTransfer
) -> None:
    files = {
        "report.pdf": compose.pdf_with_javascript(),
        "tools/setup.exe": ELF,
        "見積書.docm": compose.docm_with_macros(),
        "ppap.zip": compose.mark_encrypted(compose.zip_of({"見積書.xlsx": b"secret"})),
        "mixed.zip": compose.zip_of(
            {"a/run.sh.txt": ELF, "b/doc.pdf": compose.pdf_with_javascript()}
        ),
        "photo.png": compose.png(),
    }
    for name, data in files.items():
        _drop(config, name, data)
    tr = transfers(config, key)
    results, failures = tr.run_once()
    assert failures == []
    by_name = {r.name: r for r in results}
    assert set(by_name) == set(files)
    assert not any(p.is_file() for p in config.inbox.rglob("*")), "inbox not emptied"
    out = _outbox(config)

    # The PDF crosses as an image-only PDF, without a notice (nothing was removed).
    assert by_name["report.pdf"].status == "transferred"
    assert by_name["report.pdf"].outputs == ("report.pdf",)
    assert_image_only_pdf(out["report.pdf"])
    assert "report.pdf.notice.txt" not in out
    # Executables and macro documents do not cross; each leaves a notice with its id.
    for name in ("tools/setup.exe", "見積書.docm"):
        assert by_name[name].status == "removed"
        assert by_name[name].outputs == ()
        notice = out[f"{name}.notice.txt"].decode()
        assert by_name[name].id in notice
        assert "removed" in notice
    assert not any(magic.from_buffer(d, mime=True).endswith("executable") for d in out.values())
    # The encrypted zip is held: nothing but the notice.
    assert by_name["ppap.zip"].status == "held"
    assert [k for k in out if k.startswith("ppap")] == ["ppap.zip.notice.txt"]
    assert "held" in out["ppap.zip.notice.txt"].decode()
    # A mixed archive is rebuilt with what is safe, and the removal is noticed.
    assert by_name["mixed.zip"].status == "transferred"
    assert by_name["mixed.zip"].notice == "mixed.zip.notice.txt"
    assert "run.sh.txt" in out["mixed.zip.notice.txt"].decode()
    assert by_name["photo.png"].outputs == ("photo.png",)
    # Every original decrypts to the exact bytes dropped, with its audit record.
    q = tr.quarantine
    for name, data in files.items():
        record = q.get(by_name[name].id)
        assert q.original(record.id) == data
        assert record.status == "delivered"
        assert record.envelope_to == (name,)
        assert record.objects, name
    audit = [json.loads(line) for line in (config.quarantine_dir / "audit.jsonl").open()]
    removed = [e for e in audit if e["event"] == "object" and e["action"] == "removed"]
    assert {e["id"] for e in removed} >= {by_name["tools/setup.exe"].id, by_name["見積書.docm"].id}
    assert all(len(e["sha256"]) == 64 and e["true_type"] for e in removed)


def test_nothing_is_picked_before_it_is_complete(config: TransferConfig) -> None:
    settled = config.model_copy(update={"settle_seconds": 60})
    _drop(config, "upload.pdf.part", b"%PDF-1.4 half")
    _drop(config, ".hidden.pdf", compose.pdf_with_javascript())
    fresh = _drop(config, "fresh.txt", b"just written")
    assert pending(config) == [fresh]
    assert pending(settled) == []
    old = time.time() - 120
    os.utime(fresh, (old, old))
    assert pending(settled) == [fresh]


@pytest.mark.parametrize("step", ["store", "sanitise", "outbox", "record", "mark"])
def test_a_crash_at_any_step_loses_nothing_and_duplicates_nothing(
    config: TransferConfig,
    key: str,
    step: str,
    monkeypatch: pytest.MonkeyPatch,
    transfers: MakeTransfer,
) -> None:
    data = compose.pdf_with_javascript()
    _drop(config, "in/report.pdf", data)
    target = {
        "store": (Quarantine, "store"),
        "sanitise": (Converters, "run_file"),
        "outbox": (transfer, "write_atomic"),
        "record": (Quarantine, "record_result"),
        "mark": (Quarantine, "mark_delivered"),
    }[step]

    def crash(*_args: object, **_kwargs: object) -> None:
        raise OSError(f"simulated crash in {step}")

    with monkeypatch.context() as patch:
        patch.setattr(*target, crash)
        results, failures = transfers(config, key).run_once()
    assert results == []
    assert len(failures) == 1
    assert step in failures[0]
    assert (config.inbox / "in" / "report.pdf").read_bytes() == data, "the file was lost"
    # The next pass (a restarted service) finishes the job exactly once.
    results, failures = transfers(config, key).run_once()
    assert failures == []
    assert [r.status for r in results] == ["transferred"]
    out = _outbox(config)
    assert list(out) == ["in/report.pdf"]
    assert_image_only_pdf(out["in/report.pdf"])
    assert not (config.inbox / "in" / "report.pdf").exists()


def _text_pdf(seed: int) -> bytes:
    """A page of typeset text: pdfium renders it (no picture to re-encode). Its font names
    Helvetica by a string, not a name (as careless generators do):
    pdfium substitutes a font, and renders a fresh process's first such page differently
    from the later ones (measured: other JPEG bytes for the same page)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.String("/Helvetica"),
        )
    )
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(
        "\n".join(
            f"BT /F1 10 Tf 56 {790 - 16 * n} Td (Invoice {seed}-{n}: "
            f"{1000 * seed + 37 * n:,} yen, due 2026-12-{n % 28 + 1:02d}) Tj ET"
            for n in range(45)
        ).encode()
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("crash", "second_pass"),
    [
        ("record", "pdfium history"),
        ("record", "other bytes"),
        ("after the outbox write", "other bytes"),
    ],
)
def test_a_repeated_pass_never_writes_a_second_copy(
    config: TransferConfig,
    key: str,
    crash: str,
    second_pass: str,
    monkeypatch: pytest.MonkeyPatch,
    transfers: MakeTransfer,
) -> None:
    """A crash once the sanitised file is in the outbox, before its record: the restarted
    service sanitises the upload again, and the new bytes need not equal the first ones
    (pdfium renders a text page differently after other documents; "other bytes" forces
    it). Its own earlier output is recognised anyway: one file for the upload, delivered."""
    data = _text_pdf(1)
    _drop(config, "in/invoice.pdf", data)
    real_write = transfer.write_atomic

    def write_then_crash(path: Path, content: bytes) -> None:
        real_write(path, content)
        raise OSError("simulated crash after the outbox write")

    def crash_in_record(*_args: object, **_kwargs: object) -> None:
        raise OSError("simulated crash in record")

    with monkeypatch.context() as patch:
        if crash == "record":
            patch.setattr(Quarantine, "record_result", crash_in_record)
        else:
            patch.setattr(transfer, "write_atomic", write_then_crash)
        results, failures = transfers(config, key).run_once()
    assert (results, len(failures)) == ([], 1)
    assert crash in failures[0]
    first = _outbox(config)
    assert list(first) == ["in/invoice.pdf"], "the first pass did not reach the outbox"
    assert (config.inbox / "in" / "invoice.pdf").read_bytes() == data, "the file was lost"

    real_run = Converters.run_file
    second: dict[str, bytes] = {}

    def run_file(self: Converters, content: bytes, name: str) -> object:
        outcome = real_run(self, content, name)
        if name == "invoice.pdf":
            if second_pass == "other bytes":
                outcome.deliver = [
                    d.model_copy(update={"data": d.data + b"%second pass\n"})
                    for d in outcome.deliver
                ]
            second.update({d.filename: d.data for d in outcome.deliver})
        return outcome

    monkeypatch.setattr(Converters, "run_file", run_file)
    expected = {"in/invoice.pdf"}
    if second_pass == "pdfium history":
        # The restarted service's converter renders another text document first.
        old = time.time() - 60
        os.utime(_drop(config, "in/earlier.pdf", _text_pdf(2)), (old, old))
        expected.add("in/earlier.pdf")
    tr = transfers(config, key)
    results, failures = tr.run_once()
    assert failures == []
    assert second["invoice.pdf"] != first["in/invoice.pdf"], "same bytes again: proves nothing"
    invoice = {r.name: r for r in results}["in/invoice.pdf"]
    assert (invoice.status, invoice.outputs) == ("transferred", ("in/invoice.pdf",))
    out = _outbox(config)
    assert set(out) == expected, "delivered twice"
    # A file known complete is kept (the LGWAN side may have taken it already); one that
    # may be partial (the crash came before its written mark) is replaced, under its name.
    kept = first["in/invoice.pdf"] if crash == "record" else second["invoice.pdf"]
    assert out["in/invoice.pdf"] == kept
    assert_image_only_pdf(out["in/invoice.pdf"])
    assert not any(p.is_file() for p in config.inbox.rglob("*")), "inbox not emptied"
    record = tr.quarantine.get(invoice.id)
    assert (record.status, record.envelope_to) == ("delivered", ("in/invoice.pdf",))
    assert tr.quarantine.original(invoice.id) == data
    assert tr.claims.of(invoice.id) == [], "the name stays taken after the delivery"


def _picture(colour: tuple[int, int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(out, format=fmt)
    return out.getvalue()


def test_a_name_claimed_by_an_upload_not_yet_delivered_is_not_taken(
    config: TransferConfig, key: str, monkeypatch: pytest.MonkeyPatch, transfers: MakeTransfer
) -> None:
    """logo.png and logo.gif both cross as logo.png (pictures are re-encoded). The first
    one's pass crashes after claiming the name, before its file is written; the second
    one must not take the free name, nor the first one's next pass overwrite the second's:
    each upload ends as one file of its own picture."""
    old = time.time() - 60
    os.utime(_drop(config, "logo.png", _picture((200, 0, 0), "PNG")), (old, old))
    _drop(config, "logo.gif", _picture((0, 0, 200), "GIF"))
    real_write = transfer.write_atomic
    writes: list[str] = []

    def crash_first(path: Path, content: bytes) -> None:
        writes.append(path.name)
        if len(writes) == 1:
            raise OSError("simulated crash in the outbox write")
        real_write(path, content)

    with monkeypatch.context() as patch:
        patch.setattr(transfer, "write_atomic", crash_first)
        results, failures = transfers(config, key).run_once()
    assert writes[0] == "logo.png"
    assert len(failures) == 1
    assert "logo.png: OSError: simulated crash" in failures[0]
    (gif,) = results
    assert (gif.name, gif.outputs) == ("logo.gif", (f"logo-{gif.id[:8]}.png",))
    results, failures = transfers(config, key).run_once()
    assert (failures, [(r.name, r.outputs) for r in results]) == ([], [("logo.png", ("logo.png",))])
    colours = {
        name: Image.open(io.BytesIO(data)).convert("RGB").getpixel((8, 8))
        for name, data in _outbox(config).items()
    }
    assert colours == {"logo.png": (200, 0, 0), f"logo-{gif.id[:8]}.png": (0, 0, 200)}


def test_an_earlier_output_the_repeated_pass_does_not_deliver_is_withdrawn(
    config: TransferConfig, key: str, monkeypatch: pytest.MonkeyPatch, transfers: MakeTransfer
) -> None:
    """The first pass delivered the file and crashed before its record; the repeated pass
    holds it (its conversion ran past the time limit this time): the outbox then shows
    what the record says, the notice and not the earlier copy."""
    _drop(config, "notes.txt", b"minutes of the meeting\n")

    def crash(*_args: object, **_kwargs: object) -> None:
        raise OSError("simulated crash in record")

    with monkeypatch.context() as patch:
        patch.setattr(Quarantine, "record_result", crash)
        transfers(config, key).run_once()
    assert _outbox(config) == {"notes.txt": b"minutes of the meeting\n"}

    def held(_self: Converters, content: bytes, name: str) -> Outcome:
        record = ObjectRecord(
            path=name,
            declared_type=None,
            true_type="application/octet-stream",
            size=len(content),
            sha256="0" * 64,
            action=Action.HELD,
            reason="took longer than 4 s (simulated)",
        )
        return Outcome(records=[record])

    monkeypatch.setattr(Converters, "run_file", held)
    tr = transfers(config, key)
    results, failures = tr.run_once()
    assert (failures, [(r.status, r.outputs) for r in results]) == ([], [("held", ())])
    out = _outbox(config)
    assert list(out) == ["notes.txt.notice.txt"]
    assert "took longer than 4 s" in out["notes.txt.notice.txt"].decode()
    assert tr.quarantine.get(results[0].id).status == "delivered"


def test_the_same_file_again_is_not_transferred_twice(
    config: TransferConfig, key: str, transfers: MakeTransfer
) -> None:
    data = compose.pdf_with_javascript()
    tr = transfers(config, key)
    _drop(config, "a.pdf", data)
    tr.run_once()
    _drop(config, "a.pdf", data)
    results, _ = tr.run_once()
    assert [r.status for r in results] == ["already-transferred"]
    assert list(_outbox(config)) == ["a.pdf"]
    assert not (config.inbox / "a.pdf").exists()


def test_the_delivered_mark_is_on_disk_before_the_claims_go(
    config: TransferConfig, key: str, transfers: MakeTransfer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A power cut may undo an unsynced delivered mark; claims dropped before it reached
    # the disk would let the repeated pass write a second copy (review finding).
    calls: list[tuple[str, bool]] = []
    real_mark, real_release = Quarantine.mark_delivered, OutboxClaims.release

    def mark(self: Quarantine, ident: str, *, durable: bool = False) -> None:
        calls.append(("mark", durable))
        real_mark(self, ident, durable=durable)

    def release(self: OutboxClaims, ident: str) -> None:
        calls.append(("release", False))
        real_release(self, ident)

    monkeypatch.setattr(Quarantine, "mark_delivered", mark)
    monkeypatch.setattr(OutboxClaims, "release", release)
    _drop(config, "a.pdf", compose.pdf_with_javascript())
    results, _ = transfers(config, key).run_once()
    assert [r.status for r in results] == ["transferred"]
    assert calls == [("mark", True), ("release", False)]


def test_a_file_still_being_written_is_not_transferred_half(
    config: TransferConfig, key: str, monkeypatch: pytest.MonkeyPatch, transfers: MakeTransfer
) -> None:
    tr = transfers(config, key)
    path = _drop(config, "notes.txt", b"first half ")
    real = Converters.run_file

    def uploader_goes_on(self: Converters, data: bytes, name: str) -> object:
        with path.open("ab") as fh:  # the uploader writes more while we sanitise
            fh.write(b"second half")
        return real(self, data, name)

    monkeypatch.setattr(Converters, "run_file", uploader_goes_on)
    results, failures = tr.run_once()
    assert results == []
    assert failures
    assert "changed while it was read" in failures[0]
    assert _outbox(config) == {}
    assert path.read_bytes() == b"first half second half"
    monkeypatch.setattr(Converters, "run_file", real)
    results, failures = tr.run_once()
    assert (failures, [r.status for r in results]) == ([], ["transferred"])
    assert _outbox(config) == {"notes.txt": b"first half second half"}


def test_a_different_file_of_the_same_name_does_not_overwrite(
    config: TransferConfig, key: str, transfers: MakeTransfer
) -> None:
    tr = transfers(config, key)
    _drop(config, "note.txt", b"first version")
    first, _ = tr.run_once()
    _drop(config, "note.txt", b"second version")
    second, _ = tr.run_once()
    out = _outbox(config)
    assert out["note.txt"] == b"first version"
    assert second[0].outputs == (f"note-{second[0].id[:8]}.txt",)
    assert out[second[0].outputs[0]] == b"second version"
    assert first[0].id != second[0].id


def test_an_oversize_file_is_removed_with_a_notice(
    config: TransferConfig, key: str, transfers: MakeTransfer
) -> None:
    small = config.model_copy(
        update={"policy": DEFAULT_POLICY.model_copy(update={"max_message_bytes": 1000})}
    )
    _drop(small, "big.txt", b"x" * 5000)
    results, _ = transfers(small, key).run_once()
    assert results[0].status == "removed"
    assert "larger than the limit" in _outbox(small)["big.txt.notice.txt"].decode()


def test_missing_folders_and_a_missing_key_are_refused(
    config: TransferConfig, key: str, transfers: MakeTransfer
) -> None:
    with pytest.raises(TransferError, match="not a folder"):
        transfers(config.model_copy(update={"outbox": config.outbox / "nope"}), key)
    path = config.inbox.parent / "transfer.json"
    path.write_text(config.model_dump_json())
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "ictinfra.isolation.transfer", "run", "--config", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert KEY_ENV in done.stderr
    assert key not in done.stderr


def test_the_service_killed_mid_run_loses_nothing(config: TransferConfig, key: str) -> None:
    """SIGKILL the real service while it works through a batch, restart it, count."""
    path = config.inbox.parent / "transfer.json"
    path.write_text(config.model_copy(update={"poll_seconds": 0.1}).model_dump_json())
    env = {**os.environ, KEY_ENV: key}
    args = [sys.executable, "-m", "ictinfra.isolation.transfer", "serve", "--config", str(path)]
    originals: dict[str, bytes] = {}
    interrupted = False
    # On a loaded machine the kill may land after the whole batch: then try a new batch.
    for attempt in range(3):
        batch = {
            f"batch{attempt}/doc{i:02d}.pdf": compose.pdf_with_javascript() + f"%{i}\n".encode()
            for i in range(30)
        }
        for name, data in batch.items():
            _drop(config, name, data)
        originals.update(batch)
        before = len(_outbox(config))
        proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while len(_outbox(config)) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        left = sum(1 for _ in config.inbox.rglob("*.pdf"))
        started = left < len(batch) or len(_outbox(config)) > before
        assert started, "the service did not start within 120 s"
        if left > 0:
            interrupted = True
            break
    assert interrupted, "three kills all landed after the batch: nothing was proven"
    done = subprocess.run(
        [*args[:3], "run", "--config", str(path)], env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    out = _outbox(config)
    assert sorted(out) == sorted(originals), "lost or duplicated files"
    assert not list(config.inbox.rglob("*.pdf"))
    q = Quarantine(config.quarantine_dir, load_key(config.policy.quarantine_key, {KEY_ENV: key}))
    records = {r.envelope_to[0]: r for r in q.records()}
    assert sorted(records) == sorted(originals)
    for name, data in originals.items():
        assert q.original(records[name].id) == data
        assert records[name].status == "delivered"


def test_a_killed_writers_temporary_is_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    (outbox / "batch").mkdir(parents=True)
    finished = subprocess.Popen(["true"])  # a process that has come and gone
    finished.wait()
    dead_pid = finished.pid
    stale = outbox / "batch" / f".doc01.pdf.{dead_pid}.66eb5824.tmp"
    live = outbox / "batch" / f".doc02.pdf.{os.getpid()}.0a1b2c3d.tmp"
    foreign = outbox / "batch" / ".someone-elses.tmp"
    for path in (stale, live, foreign):
        path.write_bytes(b"partial")
    assert transfer.sweep_temporaries(outbox) == [stale]
    assert not stale.exists()
    assert live.exists()
    assert foreign.exists()


@pytest.mark.parametrize("failure", ["time limit", "converter killed"])
def test_a_file_the_converter_cannot_finish_is_held_and_the_next_goes_through(
    config: TransferConfig, key: str, transfers: MakeTransfer, failure: str
) -> None:
    """A real slow PDF (about 12 s to render here alone) against a 4 s limit, or its
    converter child killed mid-render: held with a notice, the next file still crosses."""
    cfg = config.model_copy(update={"time_limit": 4.0 if failure == "time limit" else 600.0})
    slow = compose.slow_pdf(150_000)
    old = time.time() - 60
    os.utime(_drop(cfg, "in/slow.pdf", slow), (old, old))  # oldest: taken first
    _drop(cfg, "in/next.txt", b"after the slow one\n")
    tr = transfers(cfg, key)
    killer: threading.Timer | None = None
    if failure == "converter killed":
        before = {p.pid for p in multiprocessing.active_children()}
        tr.converters  # noqa: B018 - starts the child, to learn its pid
        (child,) = [p for p in multiprocessing.active_children() if p.pid not in before]
        killer = threading.Timer(2.0, os.kill, (child.pid, signal.SIGKILL))
        killer.start()
    results, failures = tr.run_once()
    if killer is not None:
        killer.join()
    assert failures == []
    assert [r.name for r in results] == ["in/slow.pdf", "in/next.txt"]
    held, following = results
    assert (held.status, held.outputs, following.status) == ("held", (), "transferred")
    (record,) = held.objects
    assert record.action.value == "held"
    expected = "longer than 4 s" if failure == "time limit" else "the converter died"
    assert expected in record.reason
    assert tr.converters.killed == 1
    out = _outbox(cfg)
    assert out == {
        "in/slow.pdf.notice.txt": out.get("in/slow.pdf.notice.txt", b""),
        "in/next.txt": b"after the slow one\n",
    }
    notice = out["in/slow.pdf.notice.txt"].decode()
    assert held.id in notice
    assert "held" in notice
    assert record.reason in notice
    assert not any(p.is_file() for p in cfg.inbox.rglob("*")), "inbox not emptied"
    # The original is kept, exactly, with its audit record.
    stored = tr.quarantine.get(held.id)
    assert tr.quarantine.original(held.id) == slow
    assert stored.status == "delivered"
    assert [o.action.value for o in stored.objects] == ["held"]
    audit = [json.loads(line) for line in (cfg.quarantine_dir / "audit.jsonl").open()]
    assert any(
        e["event"] == "object" and e["id"] == held.id and e["action"] == "held" for e in audit
    )
    # The same upload again leaves the inbox without a second conversion or notice.
    _drop(cfg, "in/slow.pdf", slow)
    again, failures = tr.run_once()
    assert (failures, [r.status for r in again]) == ([], ["already-transferred"])
    assert tr.converters.killed == 1
    assert _outbox(cfg) == out
    assert not (cfg.inbox / "in" / "slow.pdf").exists()


def test_the_time_limit_defaults_to_the_mail_filters_everywhere() -> None:
    roles = Path(__file__).resolve().parents[2] / "roles"

    def read(path: str) -> dict[str, object]:
        data = yaml.safe_load((roles / path).read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    spec = read("file_transfer/meta/argument_specs.yml")["argument_specs"]
    option = spec["main"]["options"]["file_transfer_time_limit"]  # type: ignore[index]
    mail = FilterConfig.model_fields["message_time_limit"].default
    assert mail == read("mail_gateway/defaults/main.yml")["mail_gateway_message_time_limit"]
    assert TransferConfig.model_fields["time_limit"].default == mail
    assert read("file_transfer/defaults/main.yml")["file_transfer_time_limit"] == mail
    assert option["default"] == mail
    template = (roles / "file_transfer" / "templates" / "transfer.json.j2").read_text()
    assert "'time_limit': file_transfer_time_limit" in template
    base = {"inbox": "/i", "outbox": "/o", "quarantine_dir": "/q", "policy": DEFAULT_POLICY}
    for bad in (0, -1, 3601):
        with pytest.raises(ValidationError, match="time_limit"):
            TransferConfig.model_validate({**base, "time_limit": bad})


def test_a_crash_after_a_file_was_held_repeats_the_hold_once(
    config: TransferConfig, key: str, monkeypatch: pytest.MonkeyPatch, transfers: MakeTransfer
) -> None:
    """A crash just before the delivered mark of a timed-out file (its notice and audit
    are written): the restarted service holds it again, with one notice and one original.
    (The other steps' crashes are the same code for held and transferred files.)"""
    cfg = config.model_copy(update={"time_limit": 2.0})
    slow = compose.slow_pdf(150_000)
    _drop(cfg, "slow.pdf", slow)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise OSError("simulated crash before the delivered mark")

    with monkeypatch.context() as patch:
        patch.setattr(Quarantine, "mark_delivered", crash)
        results, failures = transfers(cfg, key).run_once()
    assert (results, len(failures)) == ([], 1)
    assert (cfg.inbox / "slow.pdf").read_bytes() == slow, "the file was lost"
    first_notice = _outbox(cfg)["slow.pdf.notice.txt"]  # written before the crash
    tr = transfers(cfg, key)
    results, failures = tr.run_once()
    assert (failures, [r.status for r in results]) == ([], ["held"])
    assert "longer than 2 s" in results[0].objects[0].reason
    assert _outbox(cfg) == {"slow.pdf.notice.txt": first_notice}
    assert not (cfg.inbox / "slow.pdf").exists()
    (record,) = tr.quarantine.records()
    assert (record.id, record.status) == (results[0].id, "delivered")
    assert tr.quarantine.original(record.id) == slow


def test_a_stop_signal_finishes_the_current_file_and_starts_no_other(
    config: TransferConfig, key: str
) -> None:
    """SIGTERM to the service alone (the unit's KillMode=mixed) while a PDF is converted:
    that file crosses whole, the next waits in the inbox, the service exits 0."""
    path = config.inbox.parent / "transfer.json"
    path.write_text(config.model_copy(update={"poll_seconds": 0.1}).model_dump_json())
    first = compose.slow_pdf(30_000)  # a few seconds to render
    old = time.time() - 60
    os.utime(_drop(config, "first.pdf", first), (old, old))
    _drop(config, "second.txt", b"after the stop\n")
    args = [sys.executable, "-m", "ictinfra.isolation.transfer", "serve", "--config", str(path)]
    proc = subprocess.Popen(args, env={**os.environ, KEY_ENV: key}, stderr=subprocess.PIPE)
    try:
        audit = config.quarantine_dir / "audit.jsonl"
        deadline = time.monotonic() + 120
        while not audit.exists() and time.monotonic() < deadline:  # first.pdf is stored
            time.sleep(0.02)
        assert audit.exists(), "the service did not take the first file within 120 s"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    out = _outbox(config)
    assert list(out) == ["first.pdf"], "the file being converted did not finish"
    assert_image_only_pdf(out["first.pdf"])
    assert (config.inbox / "second.txt").read_bytes() == b"after the stop\n"
    assert not (config.inbox / "first.pdf").exists()
