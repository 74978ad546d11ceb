"""policy.check and policy.verify as a user runs them, and the plan step on the example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ictinfra.inventory import load_inventory
from ictinfra.isolation.generate import DEFAULT_GATEWAY, render_all
from ictinfra.isolation.policy import ALPHA
from ictinfra.isolation.step import build

ROOT = Path(__file__).resolve().parents[2]
INV = str(Path(sys.executable).parent / "inv")


def inv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INV, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def test_policy_check_names_file_line_and_rule(minimal_inventory: Path, edit) -> None:
    done = inv("policy.check", "--inventory", str(minimal_inventory))
    assert done.returncode == 0, done.stderr
    assert "2 flows conform to the alpha model" in done.stdout
    edit(minimal_inventory / "flows.yml", "    via: screen_transfer\n", "    via: direct\n")
    done = inv("policy.check", "--inventory", str(minimal_inventory))
    assert done.returncode == 1
    assert "inventory/flows.yml:2: flow 'lgwan-to-vb' breaks rule lgwan-internet-sanitised" in (
        done.stderr
    )
    done = inv("policy.check", "--inventory", str(minimal_inventory), "--profile", "gamma")
    assert done.returncode == 2
    assert "unknown policy profile 'gamma'" in done.stderr


def test_policy_verify_a_given_ruleset(minimal_inventory: Path, tmp_path: Path) -> None:
    text = render_all(load_inventory(minimal_inventory), ALPHA)[
        f"isolation/nftables/{DEFAULT_GATEWAY}.nft"
    ]
    good = tmp_path / "good.nft"
    good.write_text(text, encoding="utf-8")
    args = ("--gateway", DEFAULT_GATEWAY, "--inventory", str(minimal_inventory))
    done = inv("policy.verify", *args, "--ruleset", str(good))
    assert done.returncode == 0, done.stderr
    assert "flow lgwan-to-vb: lgwan → internet tcp/3389 — " in done.stdout
    assert f"{good}: proved against the alpha model" in done.stdout
    bad = tmp_path / "bad.nft"
    bad.write_text(text.replace("ip daddr 10.2.30.11 ", ""), encoding="utf-8")
    done = inv("policy.verify", *args, "--ruleset", str(bad))
    assert done.returncode == 1
    assert f"{bad}:" in done.stderr
    assert "permits what the alpha model does not allow" in done.stderr
    assert "lgwan → mynumber tcp/3389" in done.stderr
    done = inv("policy.verify", "--gateway", "nope", "--ruleset", str(good))
    assert done.returncode == 2


def test_the_example_inventory_is_proved_and_refused_flows_stay_closed() -> None:
    example = load_inventory(ROOT / "inventory")
    artifacts, section, problems = build(example)
    assert problems == []
    assert {"isolation/nftables/isogw01.nft", "isolation/nftables/isogw02.nft"} <= set(artifacts)
    platforms = {
        str(example.devices_by_hostname[Path(p).stem].platform)
        for p in artifacts
        if p.startswith("isolation/acl/")
    }
    assert platforms == {"cisco_ios", "cisco_xe", "yamaha", "nec_ix"}
    refused = [p for p in section.problems if "is not opened" in p]
    for text in artifacts.values():
        for problem in refused:
            flow = problem.split("'")[1]
            assert f"flow {flow} " not in text
    assert section.pictures
    assert "<svg" in section.pictures[0]
