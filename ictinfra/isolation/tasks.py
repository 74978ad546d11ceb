"""invoke tasks of the isolation layer (``./inv policy.<task> --help``)."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

ROOT = Path(__file__).resolve().parents[2]


def _inventory(path: str | None) -> Path:
    return Path(path).resolve() if path else ROOT / "inventory"


def _load(path: str | None) -> object:
    from ictinfra.inventory import InventoryError, load_inventory

    try:
        return load_inventory(_inventory(path))
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc


def _profile(name: str) -> object:
    from ictinfra.isolation.policy import profile

    try:
        return profile(name)
    except ValueError as exc:
        raise Exit(str(exc), code=2) from exc


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "profile": "model: alpha (default, the 2017 plan) or beta_prime (the 2020 revision)",
    }
)
def check(c: Context, inventory: str | None = None, profile: str = "alpha") -> None:
    """Check every inventory flow against the three-tier model; file:line and rule on failure."""
    from ictinfra.inventory.model import Inventory
    from ictinfra.isolation.policy import Profile, check_inventory

    inv = _load(inventory)
    prof = _profile(profile)
    assert isinstance(inv, Inventory)  # noqa: S101 - narrowing for mypy
    assert isinstance(prof, Profile)  # noqa: S101
    problems = check_inventory(inv, _inventory(inventory), prof)
    if problems:
        lines = [f"{_inventory(inventory).name}/{p}" for p in problems]
        head = f"{len(problems)} flow(s) break the {prof.name.value} model"
        raise Exit("\n".join([head, *lines]), code=1)
    print(f"{len(inv.flows)} flows conform to the {prof.name.value} model")


@task(
    help={
        "gateway": "isolation gateway (server name) or border device (hostname)",
        "ruleset": "the ruleset or ACL file to verify in place of the generated one",
        "inventory": "inventory folder (default: inventory/)",
        "profile": "model: alpha (default) or beta_prime",
    }
)
def verify(
    c: Context,
    gateway: str,
    ruleset: str,
    inventory: str | None = None,
    profile: str = "alpha",
) -> None:
    """Verify a given (hand-edited or deployed) ruleset against the policy; name each rule."""
    from ictinfra.inventory.model import Inventory
    from ictinfra.isolation.generate import border_devices, gateways
    from ictinfra.isolation.policy import Profile
    from ictinfra.isolation.step import check_text

    inv = _load(inventory)
    prof = _profile(profile)
    assert isinstance(inv, Inventory)  # noqa: S101 - narrowing for mypy
    assert isinstance(prof, Profile)  # noqa: S101
    known = {g.name for g in gateways(inv)} | {d.hostname for d in border_devices(inv)}
    if gateway not in known:
        raise Exit(f"unknown gateway or border device '{gateway}'", code=2)
    path = Path(ruleset)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Exit(f"cannot read {path}: {exc}", code=2) from exc
    checked = check_text(inv, prof, gateway, str(path), text)
    if checked.verification is not None:
        for proof in checked.verification.proofs:
            rules = "; ".join(proof.rules) or "NOT PERMITTED"
            print(
                f"{proof.label}: {proof.source_zone} → {proof.destination_zone} "
                f"{proof.services} — {rules}"
            )
    if checked.problems:
        head = f"{path}: {len(checked.problems)} problem(s) against the {prof.name.value} model"
        raise Exit("\n".join([head, *checked.problems]), code=1)
    print(f"{path}: proved against the {prof.name.value} model")


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "profile": "model: alpha (default) or beta_prime",
        "install": "install this ruleset on the lab gateway (with the role) before probing",
        "timeout": "seconds to wait for each connection (default 1.0)",
    }
)
def probe(
    c: Context,
    inventory: str | None = None,
    profile: str = "alpha",
    install: str | None = None,
    timeout: str = "1.0",
) -> None:
    """Real TCP/UDP probes between the isolation lab's zones (./inv lab.up --topology
    isolation); observed == verifier's == policy's, else the differences and exit 1."""
    from ictinfra.inventory.model import Inventory
    from ictinfra.isolation import probe as lab_probe
    from ictinfra.isolation.errors import IsolationError
    from ictinfra.isolation.policy import Profile
    from ictinfra.lab.errors import LabError
    from ictinfra.lab.topology import load_topology

    inv = _load(inventory)
    prof = _profile(profile)
    assert isinstance(inv, Inventory)  # noqa: S101 - narrowing for mypy
    assert isinstance(prof, Profile)  # noqa: S101
    try:
        wait = float(timeout)
    except ValueError as exc:
        raise Exit(f"--timeout: not a number of seconds: {timeout!r}", code=2) from exc
    try:
        topo = load_topology(lab_probe.TOPOLOGY)
        if install:
            text = Path(install).read_text(encoding="utf-8")
            lab_probe.prepare(topo, ROOT / "build", inv, prof, ruleset=text, progress=print)
        report = lab_probe.probe(topo, inv, prof, timeout=wait, progress=print)
    except (IsolationError, LabError, OSError) as exc:
        raise Exit(str(exc), code=1) from exc
    print(lab_probe.report_text(report))
    print(f"probed in {report.seconds:.1f} s")
    if not report.ok:
        raise Exit(f"{len(report.differences)} difference(s) between the lab and the model", 1)


ns = Collection("policy")
ns.add_task(check)
ns.add_task(verify)
ns.add_task(probe)
