"""The three-tier model as code: every rule has an inventory that breaks it, caught with
the rule's name and the flow's file:line; the example inventory is judged per model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.isolation.policy import (
    ALPHA,
    BETA_PRIME,
    DEFAULT_RULE,
    Profile,
    ProfileName,
    check_inventory,
    permitted_flows,
    profile,
)

ROOT = Path(__file__).resolve().parents[2]
LAST = "    reason: Remote maintenance through the bastion\n"
DMZ_ZONE = "  - {id: wan, name: WAN, name_ja: 行政WAN, kind: wan}\n"

Edit = Callable[[Path, str, str], None]


def _add_flow(inv: Path, edit: Edit, flow: str) -> int:
    """Append a flow to flows.yml; return the line its item starts on."""
    path = inv / "flows.yml"
    line = path.read_text(encoding="utf-8").count("\n") + 1
    edit(path, LAST, LAST + flow)
    return line


def _flow(fid: str, src: str, dst: str, via: str, extra: str = "", port: int = 443) -> str:
    return (
        f"  - id: {fid}\n"
        f"    source_zone: {src}\n"
        f"    destination_zone: {dst}\n"
        f"{extra}"
        f"    services: [{{protocol: tcp, port: {port}}}]\n"
        f"    via: {via}\n"
        f"    reason: test case\n"
    )


# (rule broken, the flow that breaks it, needs a DMZ zone, profile)
CASES = [
    ("wan-carries-only", _flow("to-wan", "lgwan", "wan", "direct"), False, ALPHA),
    (
        "mynumber-never-internet",
        _flow(
            "tax-to-inet", "mynumber", "internet", "file_sanitiser", "    source_system: SYS-001\n"
        ),
        False,
        ALPHA,
    ),
    ("mynumber-isolated", _flow("lgwan-to-tax", "lgwan", "mynumber", "direct"), False, ALPHA),
    (
        "lgwan-internet-sanitised",
        _flow("pc-to-proxy", "lgwan", "internet", "web_proxy", port=8080),
        False,
        ALPHA,
    ),
    (
        "lgwan-internet-sanitised",
        _flow("pc-to-web", "lgwan", "internet", "direct", port=443),
        False,
        BETA_PRIME,
    ),
    (
        "lgwan-internet-sanitised",
        _flow(
            "screen-into-lgwan",
            "internet",
            "lgwan",
            "screen_transfer",
            "    destination_system: SYS-002\n",
        ),
        False,
        ALPHA,
    ),
    (
        "lgwan-internet-sanitised",
        _flow("screen-to-nowhere", "lgwan", "internet", "screen_transfer"),
        False,
        ALPHA,
    ),
    (
        "lgwan-dmz-closed",
        _flow("telework", "dmz", "lgwan", "screen_transfer", "    destination_system: SYS-002\n"),
        True,
        ALPHA,
    ),
    ("lgwan-dmz-telework", _flow("pc-to-dmz", "lgwan", "dmz", "direct"), True, BETA_PRIME),
    ("internet-dmz", _flow("odd-path", "internet", "dmz", "screen_transfer"), True, ALPHA),
    (
        "maintenance-through-bastion",
        _flow("no-bastion", "mgmt", "lgwan", "maintenance", port=22),
        False,
        ALPHA,
    ),
    (
        "maintenance-through-bastion",
        _flow("mgmt-direct", "mgmt", "internet", "direct"),
        False,
        ALPHA,
    ),
    (
        "management-shared-services",
        _flow("pc-to-bastion", "lgwan", "mgmt", "direct", "    destination_system: SYS-091\n", 22),
        False,
        ALPHA,
    ),
    (
        "screen-transfer-host",
        _flow("screen-whole-zone", "internet", "lgwan", "screen_transfer"),
        False,
        BETA_PRIME,
    ),
]


@pytest.mark.parametrize(
    ("rule", "flow", "needs_dmz", "prof"),
    CASES,
    ids=[f"{c[3].name.value}-{c[0]}-{c[1].split()[2]}" for c in CASES],
)
def test_each_rule_has_an_inventory_that_breaks_it(
    minimal_inventory: Path, edit: Edit, rule: str, flow: str, needs_dmz: bool, prof: Profile
) -> None:
    if needs_dmz:
        edit(
            minimal_inventory / "zones.yml",
            DMZ_ZONE,
            DMZ_ZONE + "  - {id: dmz, name: DMZ, name_ja: 公開, kind: dmz}\n",
        )
    line = _add_flow(minimal_inventory, edit, flow)
    inv = load_inventory(minimal_inventory)  # the inventory itself is valid
    problems = check_inventory(inv, minimal_inventory, prof)
    fid = flow.split()[2]
    assert [(p.file, p.line) for p in problems] == [("flows.yml", line)]
    assert f"flow '{fid}' breaks rule {rule}:" in problems[0].message
    # Fail closed: the refused flow is not among the flows the generators open.
    assert fid not in {f.id for f in permitted_flows(inv, prof)}


def test_the_minimal_inventory_conforms_to_both_models(minimal_inventory: Path) -> None:
    inv = load_inventory(minimal_inventory)
    assert check_inventory(inv, minimal_inventory, ALPHA) == []
    assert check_inventory(inv, minimal_inventory, BETA_PRIME) == []


def test_beta_prime_allows_what_alpha_refuses(minimal_inventory: Path, edit: Edit) -> None:
    flow = _flow(
        "screen-into-lgwan",
        "internet",
        "lgwan",
        "screen_transfer",
        "    destination_system: SYS-002\n",
    )
    _add_flow(minimal_inventory, edit, flow)
    inv = load_inventory(minimal_inventory)
    assert check_inventory(inv, minimal_inventory, BETA_PRIME) == []
    assert len(check_inventory(inv, minimal_inventory, ALPHA)) == 1


def test_a_pair_no_rule_governs_is_denied(minimal_inventory: Path) -> None:
    inv = load_inventory(minimal_inventory)
    empty = ALPHA.model_copy(update={"rules": ()})
    problems = check_inventory(inv, minimal_inventory, empty)
    assert len(problems) == len(inv.flows)
    assert all(f"breaks rule {DEFAULT_RULE}" in p.message for p in problems)


def test_unknown_profile_is_refused() -> None:
    assert profile("beta_prime").name is ProfileName.BETA_PRIME
    with pytest.raises(ValueError, match="unknown policy profile 'gamma'"):
        profile("gamma")


def test_example_inventory_passes_both_models() -> None:
    """The example follows the 2017 alpha model (the seed's plan), which beta-prime relaxes."""
    folder = ROOT / "inventory"
    inv = load_inventory(folder)
    assert check_inventory(inv, folder, ALPHA) == []
    assert check_inventory(inv, folder, BETA_PRIME) == []
