"""Cutover against the simulator fleet: a full rehearsal, each fault, resume after interruption."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Device
from ictinfra.netmig import cutover
from ictinfra.netmig.backup import backup
from ictinfra.netmig.cutover import (
    DeviceReport,
    Journal,
    Outcome,
    Settings,
    rollback_devices,
    run_wave,
    write_report,
)
from ictinfra.netmig.diff import same
from ictinfra.netmig.sim.platforms import PLATFORMS
from ictinfra.netmig.sim.server import Fleet, inventory_fleet
from ictinfra.netmig.translate import Translation, translate_device
from tests.conftest import require_tool
from tests.netmig.conftest import FIXTURES, PASSWORD, USER, fleet_endpoints, lab_credentials

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

FAST = Settings(
    workers=4,
    timeout=3.0,
    command_timeout=3.0,
    reconnect_attempts=6,
    reconnect_delay=0.3,
    neighbour_settle=3.0,
    neighbour_poll=0.5,
)

# A second pair in wave 0, so that "the rest of the wave goes on" can be seen.
EXTRA_DEVICES = """
  - hostname: ho-acc-01
    platform: cisco_ios
    model: Catalyst 2960-X
    site: honcho
    role: access
    lifecycle: current
    mgmt_address: 10.1.99.3
    interfaces:
      - {name: Vlan900, segment: ho-mgmt, address: 10.1.99.3/24}
      - {name: GigabitEthernet1/0/2, mode: access, segment: ho-lgwan}
    static_routes:
      - {prefix: 0.0.0.0/0, next_hop: 10.1.99.1}
  - hostname: ho-acc-11
    platform: cisco_xe
    model: Catalyst 9200
    site: honcho
    role: access
    lifecycle: replacement
    replaces: ho-acc-01
    wave: 0
    mgmt_address: 10.1.99.13
    interfaces:
      - {name: Vlan900, segment: ho-mgmt, address: 10.1.99.13/24}
      - {name: GigabitEthernet1/0/2, mode: access, segment: ho-lgwan}
"""


@dataclass
class Lab:
    inv: Inventory
    fleet: Fleet
    backups: Path
    state: Path

    def run(self, wave: int, **kw: object) -> object:
        options: dict[str, object] = {
            "backups": self.backups,
            "state": self.state,
            "settings": FAST,
        }
        options.update(kw)
        return run_wave(
            self.inv,
            wave,
            fleet_endpoints(self.fleet),
            credentials=lab_credentials,
            **options,  # type: ignore[arg-type]
        )

    def running(self, hostname: str) -> str:
        dev = self.fleet.device(hostname)
        return PLATFORMS[dev.platform].config_text(dev, dev.running)

    def intended(self, hostname: str) -> str:
        dev = self.inv.devices_by_hostname[hostname]
        assert dev.replaces is not None
        return translate_device(self.inv, dev, self.running(dev.replaces)).config


@contextmanager
def _lab(tmp_path: Path, extra: str = EXTRA_DEVICES) -> Iterator[Lab]:
    require_tool("git")
    folder = tmp_path / "inventory"
    shutil.copytree(FIXTURES / "minimal", folder)
    devices = folder / "network" / "devices.yml"
    devices.write_text(devices.read_text(encoding="utf-8") + extra, encoding="utf-8")
    inv = load_inventory(folder)
    with inventory_fleet(inv, USER, PASSWORD) as fleet:
        lab = Lab(inv, fleet, tmp_path / "backups", tmp_path / "state")
        run = backup(inv, fleet_endpoints(fleet), lab.backups, credentials=lab_credentials)
        assert not run.failed
        yield lab


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with _lab(tmp_path) as running:
        yield running


def _by_host(report: object) -> dict[str, DeviceReport]:
    return {d.hostname: d for d in report.devices}  # type: ignore[attr-defined]


def test_full_rehearsal_reaches_intended_and_a_second_run_changes_nothing(
    lab: Lab, tmp_path: Path
) -> None:
    # A secret on an old device travels to its replacement but never into a report.
    lab.fleet.device("ho-acc-01").running.apply("snmp-server community Comm-S3cret RO", None)
    for wave in lab.inv.waves():
        dry = lab.run(wave)
        assert {d.outcome for d in dry.devices} == {Outcome.PLANNED}  # type: ignore[attr-defined]
        report = lab.run(wave, commit=True)
        assert report.ok, report  # type: ignore[attr-defined]
        assert {d.outcome for d in report.devices} == {Outcome.CHANGED}  # type: ignore[attr-defined]
        write_report(report, tmp_path / "report")  # type: ignore[arg-type]
    for dev in lab.inv.replacements():
        assert same(dev.platform, lab.running(dev.hostname), lab.intended(dev.hostname))
        sim = lab.fleet.device(dev.hostname)
        assert sim.closed_in_config == 0
        assert sim.startup is not None
        assert sim.startup.lines() == sim.running.lines()  # saved
    again = lab.run(0, commit=True, state=tmp_path / "state2")  # type: ignore[arg-type]
    assert {d.outcome for d in again.devices} == {Outcome.UNCHANGED}  # type: ignore[attr-defined]
    assert "snmp-server community Comm-S3cret RO" in lab.running("ho-acc-11")
    for path in (tmp_path / "report").iterdir():
        assert "Comm-S3cret" not in path.read_text("utf-8"), path
    saved = json.loads((tmp_path / "report" / "cutover-wave-0.json").read_text("utf-8"))
    assert any(
        "snmp-server community ********" in line
        for d in saved["devices"]
        for line in d["remediation"]
    )
    assert {d["outcome"] for d in saved["devices"]} == {"changed"}
    assert "cutover-wave-0" in (tmp_path / "report" / "cutover-wave-0.html").read_text("utf-8")


def _check_fault(lab: Lab, victim: str, expect: Outcome) -> DeviceReport:
    before = lab.running(victim)
    report = lab.run(0, commit=True)
    devices = _by_host(report)
    result = devices[victim]
    assert result.outcome is expect, result
    if expect is Outcome.ROLLED_BACK or expect is Outcome.FAILED:
        assert result.final_state == "original"
        assert same("cisco_xe", lab.running(victim), before)
        assert result.error
    other = next(h for h in devices if h != victim)
    assert devices[other].outcome is Outcome.CHANGED  # the rest of the wave went on
    assert lab.fleet.device(other).closed_in_config == 0
    return result


def test_rejected_line_rolls_back_and_leaves_config_mode(lab: Lab) -> None:
    lab.fleet.device("ho-acc-11").faults.reject = (r"^ip route 0\.0\.0\.0",)
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert "rejected" in result.error
    assert lab.fleet.device("ho-acc-11").closed_in_config == 0


def test_connection_dropped_mid_push_rolls_back_the_partial_change(lab: Lab) -> None:
    lab.fleet.device("ho-acc-11").faults.drop_after = 4
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert any("rollback" in e for e in result.events)


def test_slow_device_times_out_and_is_rolled_back(lab: Lab) -> None:
    faults = lab.fleet.device("ho-acc-11").faults
    faults.delay, faults.slow_pattern = 2.0, r"^snmp-server location"
    settings = FAST.model_copy(update={"command_timeout": 0.5})
    before = lab.running("ho-acc-11")
    report = lab.run(0, commit=True, settings=settings)
    result = _by_host(report)["ho-acc-11"]
    assert result.outcome is Outcome.ROLLED_BACK, result
    assert "ReadTimeout" in result.error
    assert same("cisco_xe", lab.running("ho-acc-11"), before)


def test_authentication_failure_leaves_the_device_untouched(lab: Lab) -> None:
    lab.fleet.device("ho-acc-11").faults.auth_fail = True
    result = _check_fault(lab, "ho-acc-11", Outcome.FAILED)
    assert "backup failed" in result.error  # refused already at the pre-change backup
    assert "authentication" in result.error


def test_device_rebooting_mid_push_comes_back_original(lab: Lab) -> None:
    lab.fleet.device("ho-acc-11").faults.reboot_after = 3
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert lab.fleet.device("ho-acc-11").boots == 2
    assert any("nothing to roll back" in e for e in result.events)


def test_silently_ignored_line_fails_the_post_check(lab: Lab) -> None:
    lab.fleet.device("ho-acc-11").faults.ignore = (r"^ip route ",)
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert result.checks is not None
    assert not result.checks.config_matches
    assert "0.0.0.0/0 (static)" in result.checks.missing_routes


# OSPF between the old access switch and the core on the management VLAN (10.1.99.0/24).
OSPF_LINES = {
    "ho-core-01": ["router ospf 1", "router-id 10.1.99.2", "network 10.1.99.0 0.0.0.255 area 0"],
    "ho-acc-01": ["router ospf 1", "router-id 10.1.99.3", "network 10.1.99.0 0.0.0.255 area 0"],
}


def _with_ospf(lab: Lab) -> None:
    for host, lines in OSPF_LINES.items():
        section = None
        for line in lines:
            section = lab.fleet.device(host).running.apply(line, section)


def test_neighbour_lost_after_the_change_rolls_back_and_is_named(lab: Lab) -> None:
    # The replacement stops hearing the core after the change (a bad cable, lost hellos):
    # its predecessor saw the core, so the post-check misses it and the device goes back.
    _with_ospf(lab)
    lab.fleet.device("ho-acc-11").faults.drop_neighbours = (r"ho-core-\d+",)
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert result.checks is not None
    assert result.checks.config_matches  # the config was right: only the neighbour is gone
    assert result.checks.lost_neighbours == (
        "cdp neighbour ho-core-01 on Vlan900",
        "ospf neighbour 10.1.99.2 on Vlan900",
    )
    assert "ho-core-01" in result.error
    assert result.checks.baseline == "predecessor and replacement"


def test_neighbours_carried_over_when_the_change_is_right(lab: Lab) -> None:
    _with_ospf(lab)
    result = _by_host(lab.run(0, commit=True))["ho-acc-11"]
    assert result.outcome is Outcome.CHANGED, result
    assert any("expect 2 neighbours" in e for e in result.events), result.events
    # The core now sees the replacement as its OSPF neighbour on the same address.
    core = lab.fleet.device("ho-core-01")
    assert core.network is not None
    seen = {(a.protocol, a.peer) for a in core.network.adjacencies("ho-core-01")}
    assert {("ospf", "ho-acc-11"), ("cdp", "ho-acc-11")} <= seen


def test_unreachable_predecessor_leaves_the_replacement_s_own_baseline(lab: Lab) -> None:
    # The pre-change backup exists (a resumed wave); then the old switch stops answering.
    # A dead predecessor is a reason to migrate, not to stop: the replacement's own view is
    # the baseline, and the report says so.
    _with_ospf(lab)
    run = backup(lab.inv, fleet_endpoints(lab.fleet), lab.backups, credentials=lab_credentials)
    Journal(lab.state / "wave-0.journal.jsonl").write(event="backup", commit=run.commit, wave=0)
    lab.fleet.device("ho-acc-01").faults.auth_fail = True
    result = _by_host(lab.run(0, commit=True))["ho-acc-11"]
    assert result.outcome is Outcome.CHANGED, result
    assert result.checks is not None
    assert result.checks.baseline.startswith("replacement only (predecessor unreachable")
    # Its own view before the change (the core, by CDP) is still required after it.
    assert any("expect 1 neighbours" in e for e in result.events), result.events


def test_wrong_ospf_area_in_the_intended_config_rolls_back(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A translation bug puts the management VLAN in area 1: the config the device ends with
    # is exactly the (wrong) intended one and its routes match it; only OSPF notices.
    _with_ospf(lab)

    def wrong_area(inv: Inventory, dev: Device, old: str) -> Translation:
        right = translate_device(inv, dev, old)
        if dev.hostname != "ho-acc-11":
            return right
        assert " area 0" in right.config
        return right.model_copy(update={"config": right.config.replace(" area 0", " area 1")})

    monkeypatch.setattr(cutover, "translate_device", wrong_area)
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert result.checks is not None
    assert result.checks.config_matches
    assert not result.checks.missing_routes
    assert result.checks.lost_neighbours == ("ospf neighbour 10.1.99.2 on Vlan900",)
    assert "ospf neighbour 10.1.99.2" in result.error
    # Rolled back: the predecessor is the core's only OSPF neighbour on the VLAN again.
    core = lab.fleet.device("ho-core-01")
    assert core.network is not None
    peers = {(a.protocol, a.peer) for a in core.network.adjacencies("ho-core-01")}
    assert ("ospf", "ho-acc-01") in peers
    assert ("ospf", "ho-acc-11") not in peers


def test_shut_vlan_in_the_intended_config_loses_its_neighbours_and_rolls_back(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_ospf(lab)

    def shut_vlan(inv: Inventory, dev: Device, old: str) -> Translation:
        right = translate_device(inv, dev, old)
        if dev.hostname != "ho-acc-11":
            return right
        wrong = re.sub(
            r"(interface Vlan900\n(?: .*\n)*?) no shutdown", r"\1 shutdown", right.config
        )
        assert wrong != right.config
        return right.model_copy(update={"config": wrong})

    monkeypatch.setattr(cutover, "translate_device", shut_vlan)
    result = _check_fault(lab, "ho-acc-11", Outcome.ROLLED_BACK)
    assert result.checks is not None
    assert result.checks.config_matches
    assert result.checks.lost_neighbours == (
        "cdp neighbour ho-core-01 on Vlan900",
        "ospf neighbour 10.1.99.2 on Vlan900",
    )
    assert "Vlan900" in result.checks.lost_interfaces


def test_interface_shut_in_the_intended_config_rolls_back(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # YAMAHA -> NEC IX: the LGWAN port comes out shut. The device runs exactly that config
    # and the routes of a shut port are not intended either; the interface check notices
    # that lan1 was up before the change and its successor port is not.
    def shut_lan(inv: Inventory, dev: Device, old: str) -> Translation:
        right = translate_device(inv, dev, old)
        if dev.hostname != "iga-rt-11":
            return right
        wrong = re.sub(
            r"(interface GigaEthernet0\.0\n(?:  .*\n)*?)  no shutdown",
            r"\1  shutdown",
            right.config,
        )
        assert wrong != right.config
        return right.model_copy(update={"config": wrong})

    monkeypatch.setattr(cutover, "translate_device", shut_lan)
    before = lab.running("iga-rt-11")
    result = _by_host(lab.run(0, commit=True))["iga-rt-11"]
    assert result.outcome is Outcome.ROLLED_BACK, result
    assert result.checks is not None
    assert result.checks.config_matches
    assert not result.checks.missing_routes
    assert result.checks.lost_interfaces == ("GigaEthernet0.0",)
    assert "interfaces down GigaEthernet0.0" in result.error
    assert same("nec_ix", lab.running("iga-rt-11"), before)


def test_interrupted_wave_resumes_where_it_stopped(lab: Lab) -> None:
    serial = FAST.model_copy(update={"workers": 1})

    def stop(result: DeviceReport) -> None:
        raise KeyboardInterrupt(result.hostname)

    with pytest.raises(KeyboardInterrupt) as stopped:
        lab.run(0, commit=True, settings=serial, on_done=stop)
    first = str(stopped.value)
    resumed = _by_host(lab.run(0, commit=True, settings=serial))
    assert resumed[first].outcome is Outcome.RESUMED
    assert resumed[first].final_state == "intended"
    assert [d.outcome for h, d in resumed.items() if h != first] == [Outcome.CHANGED]
    for dev in lab.inv.waves()[0]:
        assert same(dev.platform, lab.running(dev.hostname), lab.intended(dev.hostname))


def test_rollback_returns_a_wave_to_its_pre_change_backup(lab: Lab) -> None:
    before = {d.hostname: lab.running(d.hostname) for d in lab.inv.waves()[0]}
    report = lab.run(0, commit=True)
    assert report.ok  # type: ignore[attr-defined]
    ref = report.pre_change_backup  # type: ignore[attr-defined]
    assert ref is not None
    results = rollback_devices(
        lab.inv,
        list(before),
        fleet_endpoints(lab.fleet),
        backups=lab.backups,
        ref=ref,
        state=lab.state,
        credentials=lab_credentials,
        settings=FAST,
    )
    assert {r.outcome for r in results} == {Outcome.CHANGED}
    for hostname, config in before.items():
        assert same("cisco_xe", lab.running(hostname), config)
        sim = lab.fleet.device(hostname)
        assert sim.startup is not None
        assert sim.startup.lines() == sim.running.lines()
    again = rollback_devices(
        lab.inv, list(before), fleet_endpoints(lab.fleet), backups=lab.backups, ref=ref,
        state=lab.state, credentials=lab_credentials, settings=FAST,
    )  # fmt: skip
    assert {r.outcome for r in again} == {Outcome.UNCHANGED}


def test_rehearsal_of_every_wave_of_the_example_inventory(tmp_path: Path) -> None:
    """Backup, translate, diff, cutover --commit and post-checks for every wave of the
    example inventory; every replacement ends in its intended configuration (the inventory
    waives what cannot be translated) and a second run changes nothing."""
    require_tool("git")
    inv = load_inventory(ROOT / "inventory")
    with inventory_fleet(inv, USER, PASSWORD) as fleet:
        eps = fleet_endpoints(fleet)
        assert not backup(inv, eps, tmp_path / "b", credentials=lab_credentials).failed
        # Neighbours in one wave change at once: while one router's push is half way (its
        # port up, its OSPF not yet), the other's post-check waits for the adjacency. On a
        # loaded machine that can take longer than the fault tests' 3 s.
        settings = FAST.model_copy(
            update={"workers": 8, "command_timeout": 10.0, "neighbour_settle": 30.0}
        )
        changed = 0
        for wave in inv.waves():
            report = run_wave(
                inv, wave, eps, backups=tmp_path / "b", state=tmp_path / "s", commit=True,
                credentials=lab_credentials, settings=settings,
            )  # fmt: skip
            for d in report.devices:
                assert d.outcome is Outcome.CHANGED, d
                changed += 1
        assert changed == len(inv.replacements())
        for dev in inv.replacements():
            sim = fleet.device(dev.hostname)
            assert dev.replaces is not None
            old = fleet.device(dev.replaces)
            t = translate_device(inv, dev, PLATFORMS[old.platform].config_text(old, old.running))
            assert t.ok, dev.hostname
            running = PLATFORMS[sim.platform].config_text(sim, sim.running)
            assert same(dev.platform, running, t.config), dev.hostname
        for wave in inv.waves():
            again = run_wave(
                inv, wave, eps, backups=tmp_path / "b", state=tmp_path / "s2", commit=True,
                credentials=lab_credentials, settings=settings,
            )  # fmt: skip
            assert {d.outcome for d in again.devices} == {Outcome.UNCHANGED}


def test_device_interrupted_mid_change_is_rolled_back_to_its_pre_change_backup(lab: Lab) -> None:
    victim = "ho-acc-11"
    original = lab.running(victim)
    # What a crash mid-push leaves: a journal with a backup and a start but no end, and a
    # device half changed.
    run = backup(lab.inv, fleet_endpoints(lab.fleet), lab.backups, credentials=lab_credentials)
    journal = Journal(lab.state / "wave-0.journal.jsonl")
    journal.write(event="backup", commit=run.commit, wave=0)
    journal.write(event="start", host=victim)
    lab.fleet.device(victim).running.apply("ntp server 10.1.1.1", None)
    # This run fails on the device, so it must roll back: to the backup, not to the half change.
    lab.fleet.device(victim).faults.reject = (r"^ip route 0\.0\.0\.0",)
    result = _by_host(lab.run(0, commit=True))[victim]
    assert result.outcome is Outcome.ROLLED_BACK, result
    assert same("cisco_xe", lab.running(victim), original)
    assert "ntp server 10.1.1.1" not in lab.running(victim)


def test_translation_that_cannot_render_blocks_only_that_device(lab: Lab) -> None:
    old = lab.fleet.device("iga-rt-01")
    old.running.apply("ip filter 100 pass * * tcp * www,https", None)
    old.running.apply("ip lan1 secure filter in 100", None)
    before = lab.running("iga-rt-11")
    devices = _by_host(lab.run(0, commit=True))
    assert devices["iga-rt-11"].outcome is Outcome.BLOCKED
    assert "one port per entry" in devices["iga-rt-11"].error
    assert lab.running("iga-rt-11") == before  # not touched
    assert devices["ho-acc-11"].outcome is Outcome.CHANGED
