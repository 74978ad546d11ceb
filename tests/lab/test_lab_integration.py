"""The lab for real: images, a topology up, the roles applied to it, and a clean down.

One test walks the path an engineer takes (``lab.up``, ``roles.apply``, ``lab.down``):
splitting it would bring the topology up several times for no more coverage.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ictinfra.lab import ansible, images, podman, topology
from ictinfra.lab.podman import PROJECT, PROJECT_LABEL

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("lab_images")]


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False)


def test_setup_leaves_working_podman_alone_and_images_are_kept(tmp_path: Path) -> None:
    # The session fixture made podman work; a second set-up must change nothing.
    assert podman.probe().ok
    assert not podman.setup(tmp_path).changed
    assert list(tmp_path.iterdir()) == []
    results = images.build_images()
    assert [r.action for r in results] == ["kept"] * len(images.IMAGES)
    for spec in images.IMAGES:
        assert images.current_digest(spec.ref) == images.recipe_digest(spec)


def test_systemd_image_runs_systemd_as_pid_1() -> None:
    name = "ictinfra-test-systemd-pid1"
    _podman("rm", "-f", name)
    run = _podman(
        "run",
        "-d",
        "--name",
        name,
        "--systemd=always",
        "--stop-timeout",
        "2",
        images.IMAGES_BY_NAME["systemd"].ref,
    )
    assert run.returncode == 0, run.stderr
    try:
        state = ""
        for _ in range(40):
            state = _podman("exec", name, "systemctl", "is-system-running").stdout.strip()
            if state in {"running", "degraded"}:
                break
            subprocess.run(["sleep", "0.5"], check=True)
        comm = _podman("exec", name, "cat", "/proc/1/comm").stdout.strip()
        assert comm == "systemd"
        assert state in {"running", "degraded"}, state
        assert _podman("exec", name, "systemctl", "is-active", "ssh").stdout.strip() == "active"
    finally:
        _podman("rm", "-f", "-t", "1", name)


def test_lab_up_apply_down(tmp_path: Path) -> None:
    topo = topology.load_topology("default")
    # Things the lab did not make: lab.down must leave them alone.
    stranger_net = "ictinfra-test-stranger-net"
    stranger = "ictinfra-test-stranger"
    _podman("rm", "-f", stranger)
    _podman("network", "rm", stranger_net)
    assert _podman("network", "create", stranger_net).returncode == 0
    created = _podman(
        "run",
        "-d",
        "--name",
        stranger,
        "--network",
        stranger_net,
        images.IMAGES_BY_NAME["python"].ref,
        "sleep",
        "infinity",
    )
    assert created.returncode == 0, created.stderr
    try:
        _up_apply_down(topo, tmp_path)
        assert _podman("container", "exists", stranger).returncode == 0
        assert _podman("network", "exists", stranger_net).returncode == 0
    finally:
        _podman("rm", "-f", "-t", "0", stranger)
        _podman("network", "rm", stranger_net)


def _up_apply_down(topo: topology.Topology, state: Path) -> None:
    try:
        inventory = topology.up(topo, state)
        assert topology.up(topo, state) == inventory  # idempotent
        rows = topology.status()
        names = {r["name"] for r in rows if r["kind"] == "container"}
        assert {topo.container(h.name) for h in topo.hosts} <= names
        assert "ictinfra-test-stranger" not in names
        assert all(r["state"] == "running" for r in rows if r["name"] in names)

        env = topology.lab_environment(topo, state)
        # One converge: each role's idempotence is proven by its Molecule scenario.
        applied = ansible.apply(inventory, extra_env=env, stream=False)
        assert applied.ok, applied.output[-6000:]
        recap = [line for line in applied.output.splitlines() if "changed=" in line]
        assert len(recap) == len(topo.hosts)
        assert all("failed=0" in line and "unreachable=0" in line for line in recap)

        # The baseline is really on the hosts: keys only, from the maintenance subnet only.
        sshd = _podman("exec", topo.container("app-01"), "sshd", "-T")
        assert "passwordauthentication no" in sshd.stdout
        assert "allowusers *@10.231.10.0/24" in sshd.stdout
        vendor = _podman("exec", topo.container("bastion-01"), "id", "vendor-lab-vendor")
        assert vendor.returncode == 0
        allow = _podman(
            "exec",
            topo.container("bastion-01"),
            "cat",
            "/etc/ictinfra/maintenance/vendor-lab-vendor.allow",
        )
        assert "app-01 " in allow.stdout
        assert "app-02" not in allow.stdout
    finally:
        # Only this topology: another lab (the isolation lab's test) may be up meanwhile.
        containers, networks = topology.down(topo.name)
    assert {topo.container(h.name) for h in topo.hosts} <= set(containers)
    assert {topo.network(n.name) for n in topo.networks} <= set(networks)
    listed = _podman(
        "ps",
        "-a",
        "--filter",
        f"label={PROJECT_LABEL}={PROJECT}",
        "--filter",
        f"label={topology.TOPOLOGY_LABEL}={topo.name}",
        "--format",
        "json",
    )
    assert json.loads(listed.stdout or "[]") == []


def test_gateway_image_runs_nftables_with_net_admin_only() -> None:
    ref = images.IMAGES_BY_NAME["gateway"].ref
    rules = (
        "table inet lab {\n chain forward {\n"
        " type filter hook forward priority 0; policy drop;\n }\n}\n"
    )
    load = 'printf "%s" "$RULES" | nft -f - && nft list ruleset'
    base = ["run", "--rm", "--network", "none", "-e", f"RULES={rules}"]
    allowed = _podman(*base, "--cap-add", "NET_ADMIN", ref, "sh", "-c", load)
    assert allowed.returncode == 0, allowed.stderr
    assert "policy drop" in allowed.stdout
    refused = _podman(*base, ref, "sh", "-c", load)
    assert refused.returncode != 0
    assert "policy drop" not in refused.stdout
