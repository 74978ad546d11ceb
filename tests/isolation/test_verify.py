"""The verifier reads the generated text back and proves the policy on it; corrupted
rules (too wide, wrong order, lost, unapplied) are caught with the rule's file:line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jinja2
import pytest

from ictinfra.inventory import Inventory
from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.filters import FilterRule, PacketFilter
from ictinfra.isolation.generate import DEFAULT_GATEWAY, border_devices, gateways
from ictinfra.isolation.parse_acl import parse_acl
from ictinfra.isolation.parse_nft import parse_nftables
from ictinfra.isolation.policy import ALPHA, allowed_paths, zone_intervals
from ictinfra.isolation.space import TCP, Box, boxes, intersect, subtract
from ictinfra.isolation.step import check_text
from ictinfra.isolation.verify import host_paths, permitted_space, verify
from ictinfra.plan import STEPS, PlanError, run_plan
from ictinfra.render.environment import environment
from tests.conftest import require_tool

GW = f"isolation/nftables/{DEFAULT_GATEWAY}.nft"
VB = "10.2.30.11"  # the minimal inventory's virtual browser
LGWAN_PC = "10.1.110.50"
TAX = "10.2.10.11"  # My Number zone


def _check(inv: Inventory, name: str, text: str, path: str = "x"):
    return check_text(inv, ALPHA, name, path, text)


def test_minimal_inventory_gets_a_gateway_and_acls_for_every_platform(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    assert [g.name for g in gateways(minimal)] == [DEFAULT_GATEWAY]
    platforms = {str(d.platform) for d in border_devices(minimal)}
    assert platforms == {"cisco_ios", "cisco_xe", "yamaha", "nec_ix"}
    assert set(rendered) == {GW} | {
        f"isolation/acl/{d.hostname}.cfg" for d in border_devices(minimal)
    }


def test_every_generated_ruleset_is_proved(minimal: Inventory, rendered: dict[str, str]) -> None:
    for path, text in rendered.items():
        name = Path(path).stem
        checked = _check(minimal, name, text, path)
        assert checked.problems == (), path
        result = checked.verification
        assert result is not None
        assert result.matrix == result.expected, path
        # The verifier's matrix, read from the text: the screen transfer is the only way
        # from the LGWAN zone to the internet zone; nothing reaches My Number but the bastion.
        assert result.matrix[("lgwan", "internet")] == "tcp/3389"
        assert result.matrix[("mgmt", "lgwan")] == "tcp/22"
        assert ("lgwan", "mynumber") not in result.matrix
        assert ("internet", "lgwan") not in result.matrix
        assert ("mynumber", "internet") not in result.matrix


def test_each_path_is_traced_to_the_rule_that_permits_it(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    result = _check(minimal, DEFAULT_GATEWAY, rendered[GW], GW).verification
    assert result is not None
    proof = next(p for p in result.proofs if p.label == "flow lgwan-to-vb")
    assert len(proof.rules) == 1
    file_line, label = proof.rules[0].split(" ", 1)
    line = int(file_line.split(":")[1])
    assert "10.2.30.11 tcp dport 3389" in rendered[GW].splitlines()[line - 1]
    assert label == "[flow lgwan-to-vb (screen_transfer)]"
    # Host to host: an LGWAN PC reaches the virtual browser by RDP only, a tax server not at all.
    assert host_paths(result, LGWAN_PC, VB) == [("tcp/3389", proof.rules[0])]
    assert host_paths(result, TAX, VB) == []


def test_generated_nftables_ruleset_is_accepted_by_nft(
    rendered: dict[str, str], tmp_path: Path
) -> None:
    nft = require_tool("nft")
    path = tmp_path / "gw.nft"
    path.write_text(rendered[GW], encoding="utf-8")
    done = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _too_wide_nft(text: str) -> tuple[str, int]:
    """The screen-transfer rule loses its destination: LGWAN may open RDP to anything."""
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines) if "flow lgwan-to-vb" in line)
    lines[number] = lines[number].replace(f" ip daddr {VB}", "")
    return "\n".join(lines) + "\n", number + 1


def test_a_too_wide_accept_is_caught_with_its_line(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    bad, line = _too_wide_nft(rendered[GW])
    checked = _check(minimal, DEFAULT_GATEWAY, bad, "gw.nft")
    assert checked.problems
    first = checked.problems[0]
    assert first.startswith(f"gw.nft:{line} [flow lgwan-to-vb (screen_transfer)]: permits what")
    assert (
        "lgwan → mynumber tcp/3389 (e.g. 10.1.110.0/24, 10.2.20.0/24 (+1) → 10.2.10.0/24)" in first
    )
    result = checked.verification
    assert result is not None
    assert result.matrix[("lgwan", "mynumber")] == "tcp/3389"
    assert result.matrix != result.expected


@pytest.mark.parametrize(
    ("device", "old", "new"),
    [
        ("ho-core-01", f"host {VB} eq 3389", "any eq 3389"),
        ("ho-core-11", f"host {VB} eq 3389", "any eq 3389"),
        # the static filter and the dynamic filter spelled from it lose their destination
        ("iga-rt-01", f" {VB} ", " * "),
        ("iga-rt-11", f"dest {VB}/32 dport eq 3389", "dest any dport eq 3389"),
    ],
)
def test_a_too_wide_acl_entry_is_caught_on_every_platform(
    minimal: Inventory, rendered: dict[str, str], device: str, old: str, new: str
) -> None:
    text = rendered[f"isolation/acl/{device}.cfg"]
    assert old in text
    bad = text.replace(old, new)
    line = next(i for i, x in enumerate(bad.splitlines(), 1) if new in x)
    checked = _check(minimal, device, bad, "acl.cfg")
    assert any(p.startswith(f"acl.cfg:{line} ") and "permits what" in p for p in checked.problems)


def test_a_lost_path_and_an_unfiltered_interface_are_caught(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    text = rendered["isolation/acl/ho-core-01.cfg"]
    lost = "\n".join(x for x in text.splitlines() if f"host {VB} eq 3389" not in x) + "\n"
    problems = _check(minimal, "ho-core-01", lost, "acl.cfg").problems
    assert any("flow lgwan-to-vb is not permitted" in p for p in problems)
    unapplied = text.replace("interface Vlan110\n ip access-group ICTINFRA-ISOLATION in\n", "")
    problems = _check(minimal, "ho-core-01", unapplied, "acl.cfg").problems
    assert problems == (
        "acl.cfg: interface Vlan110 (lgwan) of ho-core-01 has no isolation filter inbound: "
        "traffic entering it is not checked",
    )


def test_order_matters_first_match(minimal: Inventory, rendered: dict[str, str]) -> None:
    """A 'permit ip any any' placed before the final deny opens everything not yet denied;
    the same line after the deny changes nothing."""
    text = rendered["isolation/acl/ho-core-01.cfg"]
    before = text.replace(" deny ip any any log\n", " permit ip any any\n deny ip any any log\n")
    after = text.replace(" deny ip any any log\n", " deny ip any any log\n permit ip any any\n")
    assert _check(minimal, "ho-core-01", after).problems == ()
    problems = _check(minimal, "ho-core-01", before).problems
    assert any("(permit ip any any)" in p and "mynumber → outside ip" in p for p in problems)


def test_what_the_verifier_cannot_model_is_refused(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    bad = rendered[GW].replace("ct state established,related accept", 'iifname "eth0" accept', 1)
    line = next(i for i, x in enumerate(bad.splitlines(), 1) if "iifname" in x)
    with pytest.raises(RulesetParseError) as caught:
        parse_nftables(bad, "gw.nft")
    assert (caught.value.line, caught.value.source) == (line, "gw.nft")
    assert "not modelled" in caught.value.message
    checked = _check(minimal, DEFAULT_GATEWAY, bad, "gw.nft")
    assert checked.verification is None
    assert checked.problems == (str(caught.value),)
    acl = rendered["isolation/acl/ho-core-01.cfg"].replace(" log\n", " log-input\n", 1)
    with pytest.raises(RulesetParseError, match="'log-input' is not modelled"):
        parse_acl(minimal.devices_by_hostname["ho-core-01"].platform, acl, "acl.cfg")


def test_a_hand_written_ruleset_in_nft_list_style(minimal: Inventory) -> None:
    """Another spelling (nft list ruleset output, multi-line sets, counters with values)."""
    text = """table ip filter {
	chain fwd {
		type filter hook forward priority 0; policy accept;
		ct state established,related counter packets 10 bytes 900 accept
		ip saddr 10.1.110.0/24 ip daddr 10.2.30.11 tcp dport 3389 accept
		ip saddr 10.1.110.0-10.1.110.255 meta l4proto { tcp, udp } th dport { 1-1024 } drop
	}
}
"""
    flt = parse_nftables(text, "hand.nft")
    assert flt.default == "accept"
    result = verify(flt, allowed_paths(minimal, ALPHA), zone_intervals(minimal), "alpha")
    assert any("hand.nft: chain policy accept: permits what" in p for p in result.problems)
    assert ("tcp/3389", "hand.nft:5") in host_paths(result, LGWAN_PC, VB)
    # Ports above 1024 from that LGWAN subnet fall through to the accepting policy.
    assert ("tcp/0,1025-65535 udp/0,1025-65535", "chain policy accept") in host_paths(
        result, LGWAN_PC, TAX
    )


def _size(box: Box) -> int:
    out = 1
    for dim in box:
        out *= sum(hi - lo + 1 for lo, hi in dim)
    return out


def test_first_match_and_interval_arithmetic() -> None:
    a = boxes([(10, 20), (40, 49)], [(0, 9)], [(TCP, TCP)], [(1, 100)])[0]
    b = boxes([(15, 30)], [(0, 9)], [(TCP, TCP)], [(50, 60)])[0]
    pieces = subtract(a, b)
    assert sum(_size(p) for p in pieces) == _size(a) - 6 * 10 * 11
    assert all(intersect(p, b) is None for p in pieces)
    drop = FilterRule(1, "drop b", "drop", (b,))
    accept = FilterRule(2, "accept a", "accept", (a,))
    permitted = permitted_space(PacketFilter("t", "t", "test", (drop, accept)))
    assert all(p.rule is accept for p in permitted)
    assert sum(_size(p.box) for p in permitted) == _size(a) - 6 * 10 * 11
    assert [p.box for p in permitted_space(PacketFilter("t", "t", "test", (accept, drop)))] == [a]
    # Port-less protocols live on port 0 only.
    icmp = boxes([(1, 1)], [(2, 2)], [(1, 1)], [(0, 65535)])[0]
    assert icmp[3] == ((0, 0),)


def _buggy(template: str) -> str:
    # A plausible slip: the destination of port rules dropped from the template.
    return template.replace(
        "ip saddr {{ r.saddr }} ip daddr {{ r.daddr }} {{ r.protocol }} dport",
        "ip saddr {{ r.saddr }} {{ r.protocol }} dport",
    )


def test_a_template_bug_that_opens_a_path_fails_the_plan(
    minimal_inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment()
    name = "nftables/ruleset.nft.j2"
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    assert _buggy(source) != source
    patched = jinja2.ChoiceLoader([jinja2.DictLoader({name: _buggy(source)}), env.loader])  # type: ignore[list-item]
    monkeypatch.setattr(env, "loader", patched)
    env.cache.clear()  # type: ignore[union-attr]
    out = tmp_path / "out"
    try:
        with pytest.raises(PlanError) as caught:
            run_plan(minimal_inventory, out, steps=STEPS)
    finally:
        monkeypatch.undo()
        env.cache.clear()  # type: ignore[union-attr]
    text = str(caught.value)
    assert re.search(rf"isolation: {re.escape(GW)}:\d+ \[flow lgwan-to-vb", text)
    assert "permits what the alpha model does not allow" in text
    assert not out.exists()
