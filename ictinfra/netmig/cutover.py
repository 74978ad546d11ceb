"""Cut over one wave: pre-check, push the remediation, save, post-check, roll back on failure.

The plan of each device is a pure function (translate the predecessor's backup, diff with
the replacement's running config); this module only executes it, one device per worker,
and turns every failure into a per-device result. Guarantees, each tested against the
simulator fleet:

- a device ends exactly in its intended or exactly in its original configuration, and
  the report says which (``final_state``, verified by reading the config back);
- no session is left in configuration mode by this code (explicit exit in ``finally``);
- a journal (JSON lines) records each device's start and end, so a re-run of the same wave
  resumes: finished devices are skipped, a device interrupted mid-change is planned again
  from what it runs now.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import Any

from netmiko import BaseConnection
from netmiko.exceptions import ConfigInvalidException
from pydantic import BaseModel, ConfigDict, field_validator

from ictinfra.inventory.model import Device, Inventory
from ictinfra.netmig.backup import backup, config_at
from ictinfra.netmig.checks import CheckResult, Facts, baseline, compare, expected, gather
from ictinfra.netmig.credentials import Credentials, device_credentials
from ictinfra.netmig.diff import diff, same
from ictinfra.netmig.drivers import net_driver
from ictinfra.netmig.endpoints import Endpoint
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.masking import mask
from ictinfra.netmig.session import PERMANENT, TRANSIENT, device_session
from ictinfra.netmig.translate import translate_device
from ictinfra.render.output import write_atomic

RECOVERABLE: tuple[type[BaseException], ...] = (*TRANSIENT, NetmigError)


class Outcome(StrEnum):
    CHANGED = "changed"  # intended config pushed, checked and saved
    UNCHANGED = "unchanged"  # already intended
    PLANNED = "planned"  # dry run: what would be pushed
    ROLLED_BACK = "rolled_back"  # a failure, then back to the original (verified)
    BLOCKED = "blocked"  # translation has unsupported lines; device not touched
    FAILED = "failed"  # could not reach, or could not verify a state: needs a person
    RESUMED = "resumed"  # finished in an earlier run of this wave (journal)


class DeviceReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hostname: str
    outcome: Outcome
    final_state: str  # intended / original / unknown
    seconds: float = 0.0
    remediation: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    error: str = ""
    events: tuple[str, ...] = ()
    checks: CheckResult | None = None
    blocking: tuple[str, ...] = ()

    # Reports are files people pass around: config secrets never reach them.
    @field_validator("remediation", "rollback", "blocking", "events", mode="after")
    @classmethod
    def _masked_lines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(mask(line) for line in value)

    @field_validator("error", mode="after")
    @classmethod
    def _masked_error(cls, value: str) -> str:
        return mask(value)


class WaveReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    wave: int
    commit: bool
    started: str
    finished: str
    pre_change_backup: str | None
    devices: tuple[DeviceReport, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.devices:
            out[d.outcome.value] = out.get(d.outcome.value, 0) + 1
        return out

    @property
    def ok(self) -> bool:
        return all(
            d.outcome in {Outcome.CHANGED, Outcome.UNCHANGED, Outcome.PLANNED, Outcome.RESUMED}
            for d in self.devices
        )


class Journal:
    """Append-only JSON lines; one writer thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line]

    def write(self, **event: Any) -> None:
        event["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(event, default=str) + "\n")

    def finished(self) -> dict[str, dict[str, Any]]:
        return {e["host"]: e for e in self.events() if e.get("event") == "done"}

    def interrupted(self) -> set[str]:
        """Devices that started but never finished (a crash or Ctrl-C mid-change)."""
        events = self.events()
        started = {e["host"] for e in events if e.get("event") == "start"}
        return started - {e["host"] for e in events if e.get("event") == "done"}

    def pre_change_backup(self) -> str | None:
        return next((e["commit"] for e in self.events() if e.get("event") == "backup"), None)


class Settings(BaseModel):
    """Knobs of a run; defaults suit production, tests shorten the timeouts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: int = 8
    timeout: float = 10.0  # connect / login
    command_timeout: float = 20.0  # one configuration line or show command
    reconnect_attempts: int = 5
    reconnect_delay: float = 1.0
    # Neighbours take time to come up after a change (OSPF waits a dead interval, 40 s, on
    # broadcast links): the post-check looks again until they do or this many seconds pass.
    neighbour_settle: float = 60.0
    neighbour_poll: float = 5.0


class _Run:
    """Everything one device's cutover needs; ``events`` is its story for the report."""

    def __init__(
        self,
        ep: Endpoint,
        creds: Credentials,
        log_dir: Path,
        settings: Settings,
    ) -> None:
        self.ep = ep
        self.creds = creds
        self.log_dir = log_dir
        self.settings = settings
        self.events: list[str] = []
        self.sessions = 0
        self.start = time.monotonic()
        self.drv = net_driver(ep.device_type)

    def note(self, text: str) -> None:
        self.events.append(f"{time.monotonic() - self.start:.1f}s {text}")

    def session(self) -> Any:
        self.sessions += 1
        log = self.log_dir / f"{self.ep.hostname}.{self.sessions}.log"
        return device_session(self.ep, self.creds, log, self.settings.timeout)

    def read_config(self, conn: BaseConnection) -> str:
        shown = conn.send_command(self.drv.show_config, read_timeout=self.settings.command_timeout)
        return self.drv.normalise(str(shown))

    def push(self, conn: BaseConnection, lines: Sequence[str]) -> None:
        """Send lines in config mode; raise on an error pattern; never stay in config mode."""
        try:
            for chunk, verify in _chunks(lines):
                # Banners cannot be echo-verified line by line (netmiko then falls back to a
                # slow timed read per line): send them as one block and check the output.
                out = conn.send_config_set(
                    chunk,
                    read_timeout=self.settings.command_timeout,
                    error_pattern=self.drv.error_pattern if verify else "",
                    cmd_verify=verify,
                    exit_config_mode=False,
                )
                if re.search(self.drv.error_pattern, str(out), re.MULTILINE):
                    raise NetmigError(f"the device rejected a line of: {chunk[0]}")
        except (ValueError, ConfigInvalidException) as exc:  # netmiko: error pattern matched
            raise NetmigError(f"the device rejected a line: {_first_line(str(exc))}") from exc
        finally:
            _leave_config_mode(conn)

    def reconnect_read(self) -> str:
        """Read the running config after a failure, waiting for a rebooting device."""
        error: BaseException | None = None
        for attempt in range(self.settings.reconnect_attempts):
            try:
                with self.session() as conn:
                    return self.read_config(conn)
            except TRANSIENT as exc:
                error = exc
                time.sleep(self.settings.reconnect_delay * (attempt + 1))
        raise NetmigError(f"device unreachable after the failure: {error}") from error


def _chunks(lines: Sequence[str]) -> list[tuple[list[str], bool]]:
    """Split a push into echo-verified runs and delimited banner blocks."""
    out: list[tuple[list[str], bool]] = []
    current: list[str] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^banner \S+ (\S+)(.*)$", lines[i])
        if m is None:
            current.append(lines[i])
            i += 1
            continue
        if current:
            out.append((current, True))
            current = []
        delim = "^C" if m.group(1).startswith("^C") else m.group(1)[:1]
        block = [lines[i]]
        i += 1
        if delim not in m.group(1)[len(delim) :] + m.group(2):
            while i < len(lines):
                block.append(lines[i])
                i += 1
                if delim in block[-1]:
                    break
        out.append((block, False))
    if current:
        out.append((current, True))
    return out


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _leave_config_mode(conn: BaseConnection) -> None:
    with suppress(*TRANSIENT, ValueError):
        if conn.device_type.startswith("yamaha"):
            # RTX configures in administrator mode, and netmiko's exit_config_mode is a
            # no-op there: leave administrator mode itself (answering N to "save?").
            if conn.check_enable_mode():
                conn.exit_enable_mode()
            return
        if conn.check_config_mode():
            conn.exit_config_mode()


def _predecessor_facts(
    run: _Run, predecessor: tuple[Endpoint, Credentials] | str, settings: Settings
) -> tuple[Facts | None, str]:
    """The predecessor's pre-check (what its replacement must see too), or why there is none.

    A predecessor that cannot be reached does not stop the cutover (a dead device is a
    reason to migrate); the report says the baseline came from the replacement only.
    """
    if isinstance(predecessor, str):
        return None, predecessor
    old = _Run(predecessor[0], predecessor[1], run.log_dir, settings)
    try:
        with old.session() as conn:
            facts = gather(conn, predecessor[0].device_type, settings.command_timeout)
    except (*RECOVERABLE, *PERMANENT) as exc:
        return None, f"predecessor unreachable: {type(exc).__name__}"
    run.note(
        f"predecessor pre-check: {len(facts.neighbours)} neighbours, "
        f"{len(facts.interfaces_up | facts.routed_up)} interfaces up"
    )
    return facts, ""


def _device(  # noqa: PLR0911, PLR0915 - one return per way a device can end
    dev: Device,
    inv: Inventory,
    ep: Endpoint,
    creds: Credentials,
    backups: Path,
    log_dir: Path,
    settings: Settings,
    *,
    commit: bool,
    resume_original: str | None = None,
    predecessor: tuple[Endpoint, Credentials] | str = "no predecessor endpoint",
) -> DeviceReport:
    start = time.monotonic()
    run = _Run(ep, creds, log_dir, settings)

    def report(outcome: Outcome, final: str, **extra: Any) -> DeviceReport:
        return DeviceReport(
            hostname=dev.hostname,
            outcome=outcome,
            final_state=final,
            seconds=round(time.monotonic() - start, 3),
            events=tuple(run.events),
            **extra,
        )

    assert dev.replaces is not None  # noqa: S101 - waves hold replacement devices only
    old_config = config_at(backups, dev.replaces)
    if old_config is None:
        return report(
            Outcome.FAILED, "original", error=f"no backup of {dev.replaces}: run net.backup"
        )
    try:
        translation = translate_device(inv, dev, old_config)
    except NetmigError as exc:  # e.g. a target that cannot render a translated entry
        return report(Outcome.BLOCKED, "original", error=str(exc), blocking=(str(exc),))
    if not translation.ok:
        return report(
            Outcome.BLOCKED,
            "original",
            blocking=tuple(f"{a.number}: {a.text} ({a.reason})" for a in translation.blocking),
        )
    intended = translation.config
    want = expected(dev.platform, intended)
    before_config = ""
    try:
        with run.session() as conn:
            before_config = run.read_config(conn)
            before = gather(conn, ep.device_type, settings.command_timeout)
            run.note(f"pre-check: {len(before.routes)} routes")
            plan = diff(dev.platform, before_config, intended)
            if plan.empty:
                run.note("already intended")
                result = compare(before, before, want, config_matches=True)
                return report(Outcome.UNCHANGED, "intended", checks=result)
            if not commit:
                return report(
                    Outcome.PLANNED,
                    "original",
                    remediation=plan.remediation,
                    rollback=plan.rollback,
                )
            old_facts, why = _predecessor_facts(run, predecessor, settings)
            old_dev = inv.devices_by_hostname[dev.replaces]
            expect = baseline(
                dev.hostname,
                dev.platform,
                before,
                old_facts,
                interface_map=dev.interface_map,
                successors={d.replaces: d.hostname for d in inv.replacements() if d.replaces},
                predecessor_platform=old_dev.platform,
                peer_protocols={
                    d.hostname: net_driver(d.platform).neighbour_protocols() for d in inv.devices
                },
                reason=why,
            )
            run.note(
                f"expect {len(expect.neighbours)} neighbours, "
                f"{len(expect.interfaces_up)} interfaces up ({expect.source})"
            )
            run.note(f"push {len(plan.remediation)} lines")
            run.push(conn, plan.remediation)
            run.note("pushed")
            after_config = run.read_config(conn)
            run.note("read back")
            matches = same(dev.platform, after_config, intended)
            after = gather(conn, ep.device_type, settings.command_timeout)
            result = compare(before, after, want, config_matches=matches, expect=expect)
            settle = time.monotonic() + settings.neighbour_settle
            while (
                not result.ok
                and matches
                and not result.missing_routes
                and time.monotonic() < settle
            ):
                # Only neighbours (or ports) are missing: give adjacencies time to form.
                time.sleep(settings.neighbour_poll)
                after = gather(conn, ep.device_type, settings.command_timeout)
                result = compare(before, after, want, config_matches=matches, expect=expect)
            if result.ok:
                conn.save_config()
                _leave_config_mode(conn)  # NEC IX saves from configuration mode
                run.note("post-check ok, saved")
                return report(
                    Outcome.CHANGED,
                    "intended",
                    remediation=plan.remediation,
                    rollback=plan.rollback,
                    checks=result,
                )
            error = f"post-check failed: {result.problems()}"
            run.note(error)
            checks: CheckResult | None = result
    except PERMANENT as exc:
        return report(Outcome.FAILED, "original", error=f"{type(exc).__name__}: login refused")
    except RECOVERABLE as exc:
        if not before_config:
            return report(Outcome.FAILED, "original", error=f"before any change: {exc}")
        error = f"{type(exc).__name__}: {_first_line(str(exc))}"
        run.note(f"failure: {error}")
        checks = None
    # A device interrupted mid-change in an earlier run goes back to the pre-change backup,
    # not to the half-changed state this run found it in.
    original = resume_original if resume_original is not None else before_config
    return _roll_back(run, dev, original, error, checks, report)


def _roll_back(
    run: _Run,
    dev: Device,
    original: str,
    error: str,
    checks: CheckResult | None,
    report: Callable[..., DeviceReport],
) -> DeviceReport:
    """Bring the device back to ``original`` from whatever it runs now, and verify it."""
    try:
        now = run.reconnect_read()
        back = diff(dev.platform, now, original)
        if not back.empty:
            run.note(f"rollback {len(back.remediation)} lines")
            with run.session() as conn:
                run.push(conn, back.remediation)
                now = run.read_config(conn)
        else:
            run.note("nothing to roll back (device runs its original config)")
        if same(dev.platform, now, original):
            return report(
                Outcome.ROLLED_BACK,
                "original",
                error=error,
                checks=checks,
                rollback=back.remediation,
            )
        return report(
            Outcome.FAILED, "unknown", error=f"{error}; rollback did not verify", checks=checks
        )
    except (*RECOVERABLE, *PERMANENT) as exc:
        return report(
            Outcome.FAILED, "unknown", error=f"{error}; rollback failed: {exc}", checks=checks
        )


def run_wave(  # noqa: PLR0915 - the wave procedure: backup, journal, workers, report
    inv: Inventory,
    wave: int,
    endpoints: dict[str, Endpoint],
    *,
    backups: Path,
    state: Path,
    commit: bool = False,
    credentials: Callable[[Inventory, Device], Credentials] = device_credentials,
    settings: Settings | None = None,
    on_done: Callable[[DeviceReport], None] | None = None,
) -> WaveReport:
    """Run one wave; in commit mode back up first and journal every device."""
    settings = settings or Settings()
    waves = inv.waves()
    if wave not in waves:
        raise NetmigError(f"wave {wave} has no devices (waves: {sorted(waves)})")
    devices = waves[wave]
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    journal = Journal(state / f"wave-{wave}.journal.jsonl")
    done = journal.finished() if commit else {}
    log_dir = state / f"wave-{wave}" / "logs" / started.replace(":", "")
    pre_change = journal.pre_change_backup() if commit else None
    todo = [d for d in devices if d.hostname not in done]
    interrupted = journal.interrupted() if commit else set()
    unsafe: dict[str, str] = {}
    if commit and pre_change is None:
        # Old devices too: translation reads their configs from this very backup.
        hosts = [d.hostname for d in todo] + [d.replaces for d in todo if d.replaces]
        run = backup(
            inv, endpoints, backups, hosts=hosts, credentials=credentials, workers=settings.workers
        )
        failed = {r.hostname: r.error or "" for r in run.failed}
        # A device without a fresh backup (its own or its predecessor's) is not touched.
        unsafe = {
            d.hostname: failed.get(d.hostname) or failed.get(d.replaces or "", "")
            for d in todo
            if d.hostname in failed or d.replaces in failed
        }
        pre_change = run.commit
        journal.write(event="backup", commit=pre_change, wave=wave, failed=sorted(failed))

    stop = threading.Event()

    def _guarded(dev: Device) -> DeviceReport:
        if dev.hostname in unsafe:
            return DeviceReport(
                hostname=dev.hostname,
                outcome=Outcome.FAILED,
                final_state="original",
                error=f"pre-change backup failed: {unsafe[dev.hostname]}",
            )
        try:
            creds = credentials(inv, dev)
        except NetmigError as exc:
            return DeviceReport(
                hostname=dev.hostname,
                outcome=Outcome.FAILED,
                final_state="original",
                error=str(exc),
            )
        original = None
        if dev.hostname in interrupted and pre_change is not None:
            original = config_at(backups, dev.hostname, pre_change)
        predecessor: tuple[Endpoint, Credentials] | str = "no predecessor endpoint"
        old = inv.devices_by_hostname.get(dev.replaces or "")
        if old is not None and old.hostname in endpoints:
            try:
                predecessor = (endpoints[old.hostname], credentials(inv, old))
            except NetmigError as exc:
                predecessor = f"no credentials for {old.hostname}: {exc}"
        return _device(
            dev,
            inv,
            endpoints[dev.hostname],
            creds,
            backups,
            log_dir,
            settings,
            commit=commit,
            resume_original=original,
            predecessor=predecessor,
        )

    def one(dev: Device) -> DeviceReport | None:
        if stop.is_set():
            return None  # the run was interrupted before this device started
        if commit:
            journal.write(event="start", host=dev.hostname)
        result = _guarded(dev)
        if commit:
            journal.write(
                event="done",
                host=dev.hostname,
                outcome=result.outcome.value,
                final=result.final_state,
            )
        if on_done is not None:
            try:
                on_done(result)
            except BaseException:
                stop.set()
                raise
        return result

    results: dict[str, DeviceReport] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, settings.workers))
    try:
        for future in as_completed([pool.submit(one, d) for d in todo]):
            result = future.result()
            if result is not None:
                results[result.hostname] = result
    except BaseException:
        stop.set()
        raise
    finally:
        # Interrupted (Ctrl-C, a callback): devices not started stay untouched for a resume.
        pool.shutdown(wait=True, cancel_futures=True)
    reports = [
        results.get(d.hostname)
        or DeviceReport(
            hostname=d.hostname,
            outcome=Outcome.RESUMED,
            final_state=done[d.hostname].get("final", "unknown"),
            events=(f"finished earlier: {done[d.hostname].get('outcome')}",),
        )
        for d in devices
    ]
    return WaveReport(
        wave=wave,
        commit=commit,
        started=started,
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        pre_change_backup=pre_change,
        devices=tuple(reports),
    )


def write_report(report: WaveReport, out: Path) -> Path:
    """``out/cutover-wave-N.json`` and a report page beside it."""
    from ictinfra.report import Section, Table, render_report  # noqa: PLC0415 - only for reports

    path = out / f"cutover-wave-{report.wave}.json"
    write_atomic(path, report.model_dump_json(indent=2) + "\n")
    rows = tuple(
        (
            d.hostname,
            d.outcome.value,
            d.final_state,
            len(d.remediation),
            d.seconds,
            d.error or "; ".join(d.events),
        )
        for d in report.devices
    )
    section = Section(
        id=f"cutover-wave-{report.wave}",
        title=f"Network cutover, wave {report.wave} ({'commit' if report.commit else 'dry run'})",
        intro="Each device ends in its intended or its original configuration, read back.",
        facts=(*report.counts().items(), ("pre-change backup", report.pre_change_backup or "-")),
        tables=(
            (
                "Devices",
                Table(("hostname", "outcome", "final state", "lines", "seconds", "notes"), rows),
            ),
        ),
        problems=tuple(
            f"{d.hostname}: {d.outcome.value}: {d.error}"
            for d in report.devices
            if d.outcome in {Outcome.FAILED, Outcome.ROLLED_BACK, Outcome.BLOCKED}
        ),
    )
    html = render_report(f"Cutover wave {report.wave}", [section], generated_from=str(path.name))
    write_atomic(out / f"cutover-wave-{report.wave}.html", html)
    return path


def latest_pre_change(state: Path, wave: int) -> str | None:
    return Journal(state / f"wave-{wave}.journal.jsonl").pre_change_backup()


def rollback_devices(
    inv: Inventory,
    hosts: Sequence[str],
    endpoints: dict[str, Endpoint],
    *,
    backups: Path,
    ref: str,
    state: Path,
    credentials: Callable[[Inventory, Device], Credentials] = device_credentials,
    settings: Settings | None = None,
) -> tuple[DeviceReport, ...]:
    """Put each device back to its configuration in backup commit ``ref``, verify, save."""
    settings = settings or Settings()
    log_dir = state / "rollback" / "logs" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    def one(hostname: str) -> DeviceReport:
        dev = inv.devices_by_hostname[hostname]
        start = time.monotonic()
        target = config_at(backups, hostname, ref)
        if target is None:
            return DeviceReport(
                hostname=hostname, outcome=Outcome.FAILED, final_state="original",
                error=f"no backup of {hostname} at {ref}",
            )  # fmt: skip
        try:
            run = _Run(endpoints[hostname], credentials(inv, dev), log_dir, settings)
            with run.session() as conn:
                now = run.read_config(conn)
                back = diff(dev.platform, now, target)
                if back.empty:
                    return DeviceReport(
                        hostname=hostname, outcome=Outcome.UNCHANGED, final_state="backup"
                    )
                run.push(conn, back.remediation)
                now = run.read_config(conn)
                if not same(dev.platform, now, target):
                    return DeviceReport(
                        hostname=hostname, outcome=Outcome.FAILED, final_state="unknown",
                        error="read-back differs from the backup", remediation=back.remediation,
                    )  # fmt: skip
                conn.save_config()
                _leave_config_mode(conn)
        except (*RECOVERABLE, *PERMANENT) as exc:
            return DeviceReport(
                hostname=hostname, outcome=Outcome.FAILED, final_state="unknown",
                error=f"{type(exc).__name__}: {_first_line(str(exc))}",
            )  # fmt: skip
        return DeviceReport(
            hostname=hostname,
            outcome=Outcome.CHANGED,
            final_state="backup",
            remediation=back.remediation,
            seconds=round(time.monotonic() - start, 3),
        )

    with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
        return tuple(pool.map(one, hosts))
