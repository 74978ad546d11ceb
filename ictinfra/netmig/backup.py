"""Backups of running configurations, Oxidized/RANCID style: a git repository of configs.

Layout of the backup folder (``state/backups`` by default)::

    configs/<hostname>.cfg          latest good configuration of each device (normalised)
    runs/<run-id>/summary.json      per-device result of the run, and the commit it made
    runs/<run-id>/diff.patch        what changed since the previous run (git diff)
    runs/<run-id>/logs/<host>.log   session logs, secrets masked (not committed)

Every run is one commit, so ``git log -p configs/<host>.cfg`` is the device's history and
any earlier configuration can be read back by run (``config_at``). Devices run in
parallel with bounded concurrency; transient failures are retried with jittered backoff;
a failed device keeps its previous backup and is named in the summary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Device, Inventory
from ictinfra.netmig.credentials import Credentials, device_credentials
from ictinfra.netmig.drivers import net_driver
from ictinfra.netmig.endpoints import Endpoint
from ictinfra.netmig.errors import CredentialError, NetmigError
from ictinfra.netmig.session import PERMANENT, TRANSIENT, device_session
from ictinfra.render.output import write_atomic

GIT_IDENTITY = ("-c", "user.name=ictinfra backup", "-c", "user.email=backup@ictinfra.invalid")


class BackupResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hostname: str
    ok: bool
    attempts: int
    seconds: float
    error: str | None = None
    changed: bool = False
    sha256: str | None = None


class BackupRun(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    folder: Path
    commit: str | None
    results: tuple[BackupResult, ...]

    @property
    def failed(self) -> tuple[BackupResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(r.hostname for r in self.results if r.changed)


# --- fetching ------------------------------------------------------------------------------


def fetch_config(ep: Endpoint, creds: Credentials, log: Path | None, timeout: float) -> str:
    """The device's running configuration, normalised (volatile header lines removed)."""
    drv = net_driver(ep.device_type)
    with device_session(ep, creds, log, timeout) as conn:
        shown = str(conn.send_command(drv.show_config, read_timeout=timeout * 3))
    if not shown.strip():
        raise NetmigError(f"{ep.hostname}: empty configuration returned")
    return drv.normalise(shown)


def _with_retries(
    hostname: str,
    attempt: Callable[[int], str],
    retries: int,
    base_delay: float,
    rng: random.Random,
) -> tuple[str | None, int, str | None]:
    """(text, attempts, error). Full jitter: sleep uniform(0, base * 2**n) between tries."""
    error: str | None = None
    for n in range(retries + 1):
        try:
            return attempt(n), n + 1, None
        except PERMANENT as exc:
            return None, n + 1, f"{type(exc).__name__}: authentication failed"
        except (CredentialError, NetmigError) as exc:
            return None, n + 1, str(exc)
        except TRANSIENT as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if n < retries:
                time.sleep(rng.uniform(0, base_delay * 2**n))
    return None, retries + 1, f"{hostname}: gave up after {retries + 1} attempts: {error}"


# --- the repository ------------------------------------------------------------------------


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *GIT_IDENTITY, "-C", str(folder), *args],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise NetmigError(f"git {' '.join(args)} in {folder} failed: {detail.strip()}") from exc
    return done.stdout


def init_repo(folder: Path) -> None:
    if (folder / ".git").is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    _git(folder, "init", "-q", "-b", "main")
    write_atomic(folder / ".gitignore", "runs/*/logs/\n")
    _git(folder, "add", ".gitignore")
    _git(folder, "commit", "-q", "-m", "backup repository")


def _new_run_id(folder: Path) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id, n = stamp, 1
    while (folder / "runs" / run_id).exists():
        n += 1
        run_id = f"{stamp}-{n}"
    return run_id


def config_at(folder: Path, hostname: str, ref: str = "HEAD") -> str | None:
    """A device's backed-up configuration at a commit (None if it had none then)."""
    try:
        return _git(folder, "show", f"{ref}:configs/{hostname}.cfg")
    except NetmigError:
        return None


def history(folder: Path, hostname: str | None = None) -> list[tuple[str, str]]:
    """(commit, subject) of the runs that changed a device's config (or every run)."""
    paths = [f"configs/{hostname}.cfg"] if hostname else []
    out = _git(folder, "log", "--format=%H %s", "--", *paths)
    return [tuple(line.split(" ", 1)) for line in out.splitlines() if line]  # type: ignore[misc]


# --- the run ---------------------------------------------------------------------------------


def backup(
    inv: Inventory,
    endpoints: dict[str, Endpoint],
    folder: Path,
    *,
    hosts: Sequence[str] | None = None,
    credentials: Callable[[Inventory, Device], Credentials] = device_credentials,
    workers: int = 16,
    retries: int = 2,
    base_delay: float = 0.5,
    timeout: float = 10.0,
    seed: int | None = None,
) -> BackupRun:
    """Back up the chosen devices (all by default) and commit the run. Never raises per host."""
    devices = [d for d in inv.devices if hosts is None or d.hostname in set(hosts)]
    unknown = sorted(set(hosts or ()) - {d.hostname for d in inv.devices})
    if unknown:
        raise NetmigError(f"unknown devices: {', '.join(unknown)}")
    init_repo(folder)
    run_id = _new_run_id(folder)
    run_dir = folder / "runs" / run_id
    (run_dir / "logs").mkdir(parents=True)
    rng = random.Random(seed)  # noqa: S311 - jitter, not cryptography

    def one(dev: Device) -> tuple[Device, str | None, BackupResult]:
        start = time.monotonic()
        ep = endpoints[dev.hostname]

        def attempt(n: int) -> str:
            creds = credentials(inv, dev)
            log = run_dir / "logs" / f"{dev.hostname}{'' if n == 0 else f'.retry{n}'}.log"
            return fetch_config(ep, creds, log, timeout)

        text, attempts, error = _with_retries(dev.hostname, attempt, retries, base_delay, rng)
        result = BackupResult(
            hostname=dev.hostname,
            ok=text is not None,
            attempts=attempts,
            seconds=round(time.monotonic() - start, 3),
            error=error,
        )
        return dev, text, result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        fetched = list(pool.map(one, devices))

    results: list[BackupResult] = []
    for dev, text, result in fetched:
        if text is None:
            results.append(result)
            continue
        path = folder / "configs" / f"{dev.hostname}.cfg"
        before = path.read_text(encoding="utf-8") if path.exists() else None
        if before != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        digest = hashlib.sha256(text.encode()).hexdigest()
        results.append(result.model_copy(update={"changed": before != text, "sha256": digest}))

    previous = _git(folder, "rev-parse", "HEAD").strip()
    if (folder / "configs").exists():
        _git(folder, "add", "configs")
    diff = _git(folder, "diff", "--cached", "--", "configs")
    write_atomic(run_dir / "diff.patch", diff)
    summary = {
        "run_id": run_id,
        "previous_commit": previous,
        "devices": [r.model_dump() for r in results],
        "failed": [r.hostname for r in results if not r.ok],
        "changed": [r.hostname for r in results if r.changed],
    }
    write_atomic(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    _git(folder, "add", f"runs/{run_id}/summary.json", f"runs/{run_id}/diff.patch")
    ok = sum(r.ok for r in results)
    changed = sum(r.changed for r in results)
    _git(
        folder, "commit", "-q", "-m", f"backup {run_id}: {ok}/{len(results)} ok, {changed} changed"
    )
    commit = _git(folder, "rev-parse", "HEAD").strip()
    return BackupRun(run_id=run_id, folder=folder, commit=commit, results=tuple(results))
