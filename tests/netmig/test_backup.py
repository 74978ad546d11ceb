"""Backups against the simulator fleet: parallel, retried, versioned, masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory
from ictinfra.inventory.model import Device
from ictinfra.netmig.backup import backup, config_at, history
from ictinfra.netmig.credentials import Credentials
from ictinfra.netmig.masking import MASK, mask
from ictinfra.netmig.sim.server import Fleet
from tests.conftest import require_tool
from tests.netmig.conftest import PASSWORD, fleet_endpoints, lab_credentials

pytestmark = pytest.mark.integration


def test_runs_are_versioned_with_history_and_diffs(
    fleet: Fleet, inventory: Inventory, tmp_path: Path
) -> None:
    require_tool("git")
    folder = tmp_path / "backups"
    eps = fleet_endpoints(fleet)
    first = backup(inventory, eps, folder, credentials=lab_credentials, workers=4, seed=1)
    assert [r.hostname for r in first.results if r.ok] == [d.hostname for d in inventory.devices]
    assert set(first.changed) == {d.hostname for d in inventory.devices}
    stored = (folder / "configs" / "ho-core-01.cfg").read_text(encoding="utf-8")
    assert "ip route 10.17.0.0 255.255.0.0 10.1.110.254" in stored
    assert "Current configuration" not in stored  # volatile header removed
    assert (folder / "configs" / "iga-rt-01.cfg").read_text(encoding="utf-8").count(
        "# Reporting Date"
    ) == 0

    # NEC IX sessions (ictinfra's own session class) leave configuration mode every time.
    assert fleet.device("iga-rt-11").closed_in_config == 0
    second = backup(inventory, eps, folder, credentials=lab_credentials, seed=2)
    assert second.changed == ()
    assert (folder / "runs" / second.run_id / "diff.patch").read_text(encoding="utf-8") == ""

    dev = fleet.device("iga-rt-01")
    dev.running.apply("ntp server 10.9.9.9", None)
    third = backup(inventory, eps, folder, credentials=lab_credentials, hosts=["iga-rt-01"])
    assert third.changed == ("iga-rt-01",)
    patch = (folder / "runs" / third.run_id / "diff.patch").read_text(encoding="utf-8")
    assert "+ntp server 10.9.9.9" in patch
    assert len(history(folder, "iga-rt-01")) == 2
    before = config_at(folder, "iga-rt-01", second.commit or "")
    assert before is not None
    assert "ntp server 10.9.9.9" not in before
    summary = json.loads((folder / "runs" / third.run_id / "summary.json").read_text("utf-8"))
    assert summary["changed"] == ["iga-rt-01"]
    assert summary["previous_commit"] == second.commit


def test_failures_are_results_and_auth_is_not_retried(
    fleet: Fleet, inventory: Inventory, tmp_path: Path
) -> None:
    require_tool("git")
    fleet.device("ho-core-01").faults.auth_fail = True
    fleet.device("iga-rt-01").faults.delay = 1.0
    fleet.device("iga-rt-01").faults.slow_pattern = "^show config"
    calls: dict[str, int] = {}

    def creds(inv: Inventory, dev: Device) -> Credentials:
        calls[dev.hostname] = calls.get(dev.hostname, 0) + 1
        return lab_credentials(inv, dev)

    run = backup(
        inventory,
        fleet_endpoints(fleet),
        tmp_path / "b",
        credentials=creds,
        retries=1,
        base_delay=0.05,
        timeout=0.3,
        seed=3,
    )
    by_host = {r.hostname: r for r in run.results}
    assert not by_host["ho-core-01"].ok
    assert by_host["ho-core-01"].attempts == 1
    assert "authentication" in (by_host["ho-core-01"].error or "")
    assert not by_host["iga-rt-01"].ok
    assert by_host["iga-rt-01"].attempts == 2
    assert calls["iga-rt-01"] == 2
    assert by_host["ho-core-11"].ok
    assert by_host["iga-rt-11"].ok
    assert not (tmp_path / "b" / "configs" / "ho-core-01.cfg").exists()


def test_transient_failure_is_retried_until_it_clears(
    fleet: Fleet, inventory: Inventory, tmp_path: Path
) -> None:
    require_tool("git")
    dev = fleet.device("ho-core-01")
    dev.faults.delay = 1.0
    dev.faults.slow_pattern = "^show run"

    def creds(inv: Inventory, device: Device) -> Credentials:
        if dev.faults.delay and "ho-core-01" in tried:
            dev.faults.delay = 0.0  # the device recovers before the second attempt
        tried.add(device.hostname)
        return lab_credentials(inv, device)

    tried: set[str] = set()
    run = backup(
        inventory,
        fleet_endpoints(fleet),
        tmp_path / "b",
        hosts=["ho-core-01"],
        credentials=creds,
        retries=2,
        base_delay=0.05,
        timeout=0.3,
    )
    (result,) = run.results
    assert result.ok
    assert result.attempts == 2


def test_session_logs_mask_credentials_and_config_secrets(
    fleet: Fleet, inventory: Inventory, tmp_path: Path
) -> None:
    require_tool("git")
    fleet.device("ho-core-01").running.apply("snmp-server community Comm-S3cret RO", None)
    fleet.device("ho-core-01").running.apply(f"username netops secret 0 {PASSWORD}", None)
    run = backup(inventory, fleet_endpoints(fleet), tmp_path / "b", credentials=lab_credentials)
    log = (tmp_path / "b" / "runs" / run.run_id / "logs" / "ho-core-01.log").read_text("utf-8")
    assert "show running-config" in log
    assert "snmp-server community ********" in log
    assert "Comm-S3cret" not in log
    assert PASSWORD not in log
    assert all(PASSWORD not in p.read_text("utf-8") for p in (tmp_path / "b").rglob("*.log"))


def test_mask_patterns() -> None:
    text = (
        "enable secret 5 $1$abc$xyz\n"
        "login password encrypted AbCdEf\n"
        "pp auth myname user1 pw1\n"
        "description no secrets here\n"
    )
    masked = mask(text, ["pw1"])
    assert "$1$abc$xyz" not in masked
    assert "AbCdEf" not in masked
    assert "pw1" not in masked
    assert f"enable secret 5 {MASK}" in masked
    assert "description no secrets here" in masked
