"""The quarantine: exact originals, encrypted at rest, audited releases."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ictinfra.inventory.model import SecretRef
from ictinfra.mailsan import DEFAULT_POLICY, sanitise
from ictinfra.mailsan.errors import KeyUnavailableError, QuarantineError, ReleaseRefusedError
from ictinfra.mailsan.quarantine import (
    Quarantine,
    QuarantineRecord,
    load_key,
    new_key,
)
from ictinfra.mailsan.service import FilterConfig
from tests.conftest import ROOT
from tests.mailsan import compose

REF = SecretRef(env="ICTINFRA_QUARANTINE_KEY")


class _Q(Quarantine):
    key_for_tests: bytes


@pytest.fixture
def quarantine(tmp_path: Path) -> _Q:
    key = load_key(REF, {"ICTINFRA_QUARANTINE_KEY": new_key()})
    q = _Q(tmp_path / "q", key)
    q.key_for_tests = key
    return q


def _audit(q: Quarantine) -> list[dict[str, object]]:
    lines = (q.root / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_original_is_encrypted_and_decrypts_exactly(quarantine: Quarantine) -> None:
    raw = compose.raw_japanese("iso-2022-jp", text="機密の本文")
    rec = quarantine.store(raw, "a@internet.example", ["u@pref.test.example"])
    (segment,) = (quarantine.root / "segments").iterdir()
    sealed = segment.read_bytes()
    assert raw not in sealed
    assert b"From:" not in sealed
    assert b"a@internet.example" not in sealed  # the envelope is encrypted too
    assert quarantine.original(rec.id) == raw
    assert segment.stat().st_mode & 0o077 == 0


def test_store_is_idempotent_per_message(quarantine: Quarantine) -> None:
    raw = compose.message().as_bytes()
    first = quarantine.store(raw, "a@x.example", ["u@y.example"])
    again = quarantine.store(raw, "a@x.example", ["u@y.example"])
    other = quarantine.store(raw, "a@x.example", ["v@y.example"])
    assert first.id == again.id
    assert other.id != first.id
    assert [e["event"] for e in _audit(quarantine)] == ["stored", "stored"]


def test_wrong_key_and_tampering_are_detected(quarantine: Quarantine) -> None:
    rec = quarantine.store(b"Subject: x\r\n\r\nbody\r\n", "a@x.example", ["u@y.example"])
    other = Quarantine(quarantine.root, load_key(REF, {"ICTINFRA_QUARANTINE_KEY": new_key()}))
    with pytest.raises(QuarantineError, match="wrong key"):
        other.original(rec.id)
    (path,) = (quarantine.root / "segments").iterdir()
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(QuarantineError):
        quarantine.original(rec.id)


@pytest.mark.parametrize(
    ("environ", "message"),
    [({}, "not set"), ({"ICTINFRA_QUARANTINE_KEY": "c2hvcnQ="}, "need 32")],
)
def test_missing_or_bad_key_fails_closed(environ: dict[str, str], message: str) -> None:
    with pytest.raises(KeyUnavailableError, match=message):
        load_key(REF, environ)
    with pytest.raises(KeyUnavailableError, match="vault"):
        load_key(SecretRef(vault="mail/quarantine"), environ)


def test_audit_records_every_removed_object(quarantine: Quarantine) -> None:
    exe = Path("/usr/share/clamav-testfiles/clam.exe").read_bytes()
    raw = compose.with_attachment(exe, "請求書.pdf", "application/pdf")
    rec = quarantine.store(raw, "a@x.example", ["u@y.example"])
    result = sanitise(raw, DEFAULT_POLICY, quarantine_id=rec.id)
    updated = quarantine.record_result(rec, result, "件名")
    assert updated.objects[0].action.value == "removed"
    events = [e for e in _audit(quarantine) if e["event"] == "object"]
    assert len(events) == 1
    assert events[0]["sha256"] == result.objects[0].sha256
    assert events[0]["size"] == len(exe)
    assert events[0]["true_type"] == "application/vnd.microsoft.portable-executable"
    assert quarantine.search("請求書")[0].id == rec.id
    assert quarantine.search("no-such-thing") == []


def test_release_only_by_an_approver_and_audited(quarantine: Quarantine) -> None:
    raw = compose.message().as_bytes()
    rec = quarantine.store(raw, "a@x.example", ["u@pref.test.example"])
    sent: list[tuple[bytes, str, Sequence[str]]] = []

    def deliver(data: bytes, sender: str, rcpts: Sequence[str]) -> None:
        sent.append((data, sender, rcpts))

    with pytest.raises(ReleaseRefusedError, match="not an authorised approver"):
        quarantine.release(
            rec.id, approver="mallory", approvers=["admin01"], reason="x", deliver=deliver
        )
    with pytest.raises(ReleaseRefusedError, match="reason"):
        quarantine.release(
            rec.id, approver="admin01", approvers=["admin01"], reason=" ", deliver=deliver
        )
    assert sent == []
    done = quarantine.release(
        rec.id,
        approver="admin01",
        approvers=["admin01"],
        reason="取引先からの正規の見積",
        deliver=deliver,
        recipients=["u@internet-zone.example"],
    )
    assert sent == [(raw, "a@x.example", ("u@internet-zone.example",))]
    assert done.releases[0].approver == "admin01"
    events = [e["event"] for e in _audit(quarantine)]
    assert events.count("release-refused") == 2
    assert events[-1] == "released"


def test_release_task_refuses_unauthorised_and_audits(
    quarantine: _Q, minimal_inventory: Path
) -> None:
    rec = quarantine.store(compose.message().as_bytes(), "a@x.example", ["u@y.example"])
    env = {
        **os.environ,
        "ICTINFRA_QUARANTINE_KEY": base64.urlsafe_b64encode(quarantine.key_for_tests).decode(),
    }
    base = [str(ROOT / "inv"), "mail.release", rec.id, "--folder", str(quarantine.root)]
    base += ["--inventory", str(minimal_inventory), "--relay", "127.0.0.1:9"]
    refused = subprocess.run(
        [*base, "--approver", "mallory", "--reason", "please"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    assert refused.returncode == 1
    assert "not an authorised approver" in refused.stderr
    listing = subprocess.run(
        [
            str(ROOT / "inv"),
            "mail.quarantine",
            "--folder",
            str(quarantine.root),
            "--inventory",
            str(minimal_inventory),
            "--search",
            "x.example",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    assert rec.id in listing.stdout
    assert _audit(quarantine)[-1]["event"] == "release-refused"


def _render(inventory: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(ROOT / "inv"),
            "mail.render",
            "--inventory",
            str(inventory),
            "--out",
            str(out),
            "--quarantine",
            "/srv/quarantine",
            "--workers",
            "3",
            *extra,
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_render_task_writes_fragments_from_the_inventory(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mail"
    assert _render(minimal_inventory, out).returncode == 0
    main_cf = (out / "main.cf.fragment").read_text()
    # The default: a before-queue milter, failures answered 4xx, nothing in master.cf.
    assert "smtpd_milters = inet:127.0.0.1:10025" in main_cf
    assert "milter_default_action = tempfail" in main_cf
    assert "milter_content_timeout = 180s" in main_cf  # the 120 s limit plus a margin
    assert "content_filter" not in main_cf
    assert f"message_size_limit = {50 * 1024 * 1024}" in main_cf
    assert " inet " not in (out / "master.cf.fragment").read_text()
    config = FilterConfig.model_validate_json((out / "mailsan-filter.json").read_text())
    assert config.mode == "milter"
    assert config.workers == 3
    assert config.policy.allowed_types == ("application/pdf", "text/plain")
    assert config.policy.approvers == ("admin01",)
    assert "ICTINFRA_QUARANTINE_KEY" in (out / "mailsan-filter.json").read_text()
    # The after-queue alternative, and a mode that does not exist.
    cf = tmp_path / "cf"
    assert _render(minimal_inventory, cf, "--mode", "content_filter").returncode == 0
    assert "content_filter = scan:[127.0.0.1]:10025" in (cf / "main.cf.fragment").read_text()
    assert "127.0.0.1:10026 inet" in (cf / "master.cf.fragment").read_text()
    config = FilterConfig.model_validate_json((cf / "mailsan-filter.json").read_text())
    assert config.mode == "content_filter"
    bad = _render(minimal_inventory, tmp_path / "bad", "--mode", "proxy")
    assert bad.returncode == 2
    assert "unknown filter mode" in bad.stderr


def test_filter_config_written_before_the_milter_still_loads() -> None:
    # A role-written JSON of the after-queue era (no mode field) stays loadable.
    old = {
        "listen_port": 10025,
        "reinject_port": 10026,
        "workers": 2,
        "quarantine_dir": "/srv/q",
        "policy": {"allowed_types": ["text/plain"]},
    }
    config = FilterConfig.model_validate(old)
    assert (config.mode, config.message_time_limit, config.converters) == ("milter", 120.0, 1)


def test_purge_removes_old_originals_and_keeps_the_trail(quarantine: Quarantine) -> None:
    rec = quarantine.store(compose.message().as_bytes(), "a@x.example", ["u@y.example"])
    assert quarantine.purge(90) == []
    later = datetime.now(UTC) + timedelta(days=91)
    assert quarantine.purge(90, now=later) == [rec.id]
    assert list((quarantine.root / "segments").iterdir()) == []
    assert quarantine.get(rec.id).sha256 == rec.sha256
    assert _audit(quarantine)[-1]["event"] == "purged"
    with pytest.raises(QuarantineError):
        quarantine.original(rec.id)


def test_lost_records_are_rebuilt_from_the_segments(quarantine: Quarantine) -> None:
    raws = [compose.message(f"本文 {i}").as_bytes() for i in range(3)]
    ids = [
        quarantine.store(raw, "a@x.example", [f"u{i}@y.example"]).id for i, raw in enumerate(raws)
    ]
    for path in quarantine.root.glob("index.sqlite*"):
        path.unlink()  # what a power cut can do to the unsynced index
    assert sorted(quarantine.rebuild_index()) == sorted(ids)
    for ident, raw, i in zip(ids, raws, range(3), strict=True):
        assert quarantine.original(ident) == raw
        assert quarantine.get(ident).envelope_to == (f"u{i}@y.example",)
    assert quarantine.rebuild_index() == []


def test_a_service_takes_the_key_out_of_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from ictinfra.inventory.model import SecretRef  # noqa: PLC0415
    from ictinfra.mailsan.quarantine import take_key  # noqa: PLC0415

    value = new_key()
    monkeypatch.setenv("ICTINFRA_TEST_QKEY", value)
    key = take_key(SecretRef(env="ICTINFRA_TEST_QKEY"))
    assert len(key) == 32
    assert "ICTINFRA_TEST_QKEY" not in os.environ  # children forked later cannot see it


# --- the index (SQLite) ---------------------------------------------------------------


def test_index_is_owner_only_and_holds_no_content(quarantine: Quarantine) -> None:
    raw = compose.message("秘密の本文 secret-body-text").as_bytes()
    rec = quarantine.store(raw, "a@x.example", ["u@y.example"])
    quarantine.mark_delivered(rec.id)
    files = list(quarantine.root.glob("index.sqlite*"))
    assert files
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, path
        assert b"secret-body-text" not in path.read_bytes()
    assert quarantine.get(rec.id).status == "delivered"


def test_a_mark_written_by_a_forked_worker_is_seen_by_the_parent(quarantine: Quarantine) -> None:
    # Workers are forked after the parent may have used the index: each process needs its
    # own connection, and what a child commits is visible to everyone at once.
    rec = quarantine.store(compose.message().as_bytes(), "a@x.example", ["u@y.example"])
    assert quarantine.get(rec.id).status == "stored"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit code is the assertion
        code = 1
        try:
            quarantine.mark_delivered(rec.id)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert quarantine.get(rec.id).status == "delivered"


def test_an_index_removed_under_a_running_process_is_noticed(quarantine: Quarantine) -> None:
    first = quarantine.store(compose.message("1").as_bytes(), "a@x.example", ["u@y.example"])
    for path in quarantine.root.glob("index.sqlite*"):
        path.unlink()
    (quarantine.root / "index.sqlite").mkdir()  # cannot be opened: an error, not lost writes
    with pytest.raises(QuarantineError, match="index"):
        quarantine.store(compose.message("2").as_bytes(), "a@x.example", ["u@y.example"])
    (quarantine.root / "index.sqlite").rmdir()
    second = quarantine.store(compose.message("2").as_bytes(), "a@x.example", ["u@y.example"])
    assert quarantine.get(second.id).status == "stored"  # a fresh index, in the same process
    assert sorted(quarantine.rebuild_index()) == [first.id]  # the lost record from its segment


def test_records_of_the_file_layout_are_imported_once(tmp_path: Path) -> None:
    # Earlier versions kept records/<id>.json and delivered/<id> markers.
    key = load_key(REF, {"ICTINFRA_QUARANTINE_KEY": new_key()})
    old = Quarantine(tmp_path / "q", key)
    raws = [compose.message(f"旧 {i}").as_bytes() for i in range(3)]
    recs = [old.store(raw, "a@x.example", ["u@y.example"]) for raw in raws]
    (tmp_path / "q" / "records").mkdir()
    (tmp_path / "q" / "delivered").mkdir()
    for rec in recs:
        legacy = rec.model_copy(update={"subject": f"legacy {rec.id[:4]}"})
        (tmp_path / "q" / "records" / f"{rec.id}.json").write_text(legacy.model_dump_json())
    (tmp_path / "q" / "delivered" / recs[0].id).touch()
    for path in (tmp_path / "q").glob("index.sqlite*"):
        path.unlink()
    q = Quarantine(tmp_path / "q", key)
    assert {r.id: r.status for r in q.records()} == {
        recs[0].id: "delivered",
        recs[1].id: "stored",
        recs[2].id: "stored",
    }
    assert q.get(recs[1].id).subject == f"legacy {recs[1].id[:4]}"
    assert q.original(recs[2].id) == raws[2]
    assert not (tmp_path / "q" / "records").exists()
    assert (tmp_path / "q" / "records.imported").is_dir()
    assert len(list(Quarantine(tmp_path / "q", key).records())) == 3  # nothing imported twice


def _legacy_layout(root: Path) -> tuple[bytes, QuarantineRecord]:
    """A quarantine holding one original whose record is only in the old records/ folder."""
    key = load_key(REF, {"ICTINFRA_QUARANTINE_KEY": new_key()})
    rec = Quarantine(root, key).store(compose.message("旧").as_bytes(), "a@x.example", ["u@y"])
    for path in root.glob("index.sqlite*"):
        path.unlink()
    (root / "records").mkdir()
    (root / "records" / f"{rec.id}.json").write_text(rec.model_dump_json())
    return key, rec


def test_a_broken_legacy_record_is_left_aside_and_the_rest_imported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # One unreadable file must not make every worker refuse every message.
    key, rec = _legacy_layout(tmp_path / "q")
    (tmp_path / "q" / "records" / "abc.json").write_text("{not json")
    q = Quarantine(tmp_path / "q", key)
    assert [r.id for r in q.records()] == [rec.id]
    assert "abc.json: not imported" in caplog.text
    assert (tmp_path / "q" / "records.imported" / "abc.json").read_text() == "{not json"


def test_an_import_interrupted_before_the_rename_is_done_again_once(tmp_path: Path) -> None:
    # Committed first, renamed after: a process killed in between imports again at its
    # next start, and nothing is imported twice; an earlier .imported folder is kept.
    key, rec = _legacy_layout(tmp_path / "q")
    Quarantine(tmp_path / "q", key)
    (tmp_path / "q" / "records.imported").rename(tmp_path / "q" / "records")  # no rename
    (tmp_path / "q" / "records.imported").mkdir()  # and an older one in the way
    q = Quarantine(tmp_path / "q", key)
    assert [r.id for r in q.records()] == [rec.id]
    assert (tmp_path / "q" / "records.imported.1" / f"{rec.id}.json").is_file()
    assert not (tmp_path / "q" / "records").exists()


def test_durable_writes_reach_the_disk_before_they_return(quarantine: Quarantine) -> None:
    # A release and a durable delivered mark are fsynced: their commit runs with
    # synchronous=FULL (observed: the WAL is fsynced by that statement), the rest not.
    rec = quarantine.store(compose.message().as_bytes(), "a@x.example", ["u@y.example"])
    index = quarantine._index
    seen: list[str] = []
    with index.lock:
        index.connection().set_trace_callback(seen.append)
    quarantine.mark_delivered(rec.id, durable=True)
    quarantine.mark_delivered(rec.id)
    assert seen[0] == "PRAGMA synchronous=FULL"
    assert "INSERT OR IGNORE INTO delivered" in seen[1]
    assert seen[2] == "PRAGMA synchronous=NORMAL"
    assert "INSERT OR IGNORE INTO delivered" in seen[3]
    assert len(seen) == 4
