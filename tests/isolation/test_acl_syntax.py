"""The device ACL text is what NEC UNIVERGE IX and YAMAHA RTX accept, and the verifier reads
it as the device would act on it: names within the IX's 15 characters, no per-entry 'log'
on the IX, lists detached before they are deleted, YAMAHA dynamic filters carrying their
static filter's addresses, no command longer than the RTX takes, OSPF by number, and
replies modelled as let back in only where a dynamic entry on the right side tracks them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.isolation import generate
from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.generate import NEC_NAMES, border_devices, render_acl, render_all
from ictinfra.isolation.parse_acl import (
    NEC_MAX_NAME,
    YAMAHA_MAX_COMMAND,
    parse_ios,
    parse_nec_ix,
    parse_yamaha,
)
from ictinfra.isolation.parse_nft import parse_nftables
from ictinfra.isolation.policy import ALPHA
from ictinfra.isolation.space import OSPF
from ictinfra.isolation.step import check_text
from ictinfra.platforms import driver

NEC = "isolation/acl/iga-rt-11.cfg"
RTX = "isolation/acl/iga-rt-01.cfg"
VB = "10.2.30.11"
EXAMPLE = Path(__file__).parents[2] / "inventory"


def _platform_texts(rendered: dict[str, str], inv: Inventory, family: str) -> dict[str, str]:
    names = {d.hostname for d in border_devices(inv) if driver(d.platform).family == family}
    return {p: t for p, t in rendered.items() if Path(p).stem in names}


# --- NEC UNIVERGE IX ------------------------------------------------------------------


def test_nec_names_fit_in_15_characters(minimal: Inventory, rendered: dict[str, str]) -> None:
    texts = _platform_texts(rendered, minimal, "nec_ix")
    assert texts
    for text in texts.values():
        names = set(re.findall(r"^(?:no )?ip access-list (?:dynamic )?(\S+)", text, re.M))
        names |= set(re.findall(r"ip filter (\S+) \d+ (?:in|out)", text))
        assert names == set(NEC_NAMES.values())
        assert all(len(name) <= NEC_MAX_NAME for name in names)
    # The former name is refused with the reason.
    long = rendered[NEC].replace(NEC_NAMES["acl"], "ICTINFRA-ISOLATION")
    with pytest.raises(RulesetParseError, match="'ICTINFRA-ISOLATION' has 18 characters"):
        parse_nec_ix(long, "ix.cfg")


def test_nec_replies_come_back_through_a_dynamic_list_on_out(rendered: dict[str, str]) -> None:
    text = rendered[NEC]
    flt = parse_nec_ix(text, "ix.cfg")
    assert flt.applied_to == frozenset({"GigaEthernet0.0", "GigaEthernet1.0", "GigaEthernet2.0"})
    acl, dyn, out = NEC_NAMES["acl"], NEC_NAMES["dynamic"], NEC_NAMES["out"]
    block = f"  ip filter {acl} 1 in\n  ip filter {dyn} 1 out\n  ip filter {out} 2 out\n"
    assert text.count(block) == 3
    # The former layout: the dynamic list on 'in' behind the static list, whose final deny
    # it never reaches; its cache would let replies out through 'out' only.
    old = text.replace(block, f"  ip filter {acl} 1 in\n  ip filter {dyn} 2 in\n")
    with pytest.raises(RulesetParseError, match=r"dynamic list 'ICTINFRA-DYN' on \S+ 'in'"):
        parse_nec_ix(old, "ix.cfg")
    # Static filters alone on every interface: the replies meet the static list's deny.
    stateless = text.replace(block, f"  ip filter {acl} 1 in\n")
    with pytest.raises(RulesetParseError, match=r"replies of the connections .* not let back in"):
        parse_nec_ix(stateless, "ix.cfg")
    # The pass-all list ahead of the dynamic one: first match, the dynamic list sees nothing.
    ahead = text.replace(
        block, f"  ip filter {acl} 1 in\n  ip filter {out} 1 out\n  ip filter {dyn} 2 out\n"
    )
    with pytest.raises(RulesetParseError, match="static list ahead of a dynamic one"):
        parse_nec_ix(ahead, "ix.cfg")
    # The dynamic list alone on 'out': replies leaving the other interface are dropped.
    alone = text.replace(block, f"  ip filter {acl} 1 in\n  ip filter {dyn} 1 out\n")
    with pytest.raises(RulesetParseError, match="no pass-all list behind its dynamic list"):
        parse_nec_ix(alone, "ix.cfg")


def test_a_trigger_narrower_than_the_static_list_is_caught(rendered: dict[str, str]) -> None:
    """A dynamic list whose trigger misses a permitted flow: that flow's replies are lost."""
    text = rendered[NEC]
    narrow = text.replace(
        f"ip access-list dynamic {NEC_NAMES['dynamic']} access {NEC_NAMES['acl']}",
        f"ip access-list TRIGGER permit tcp src any sport any dest any dport eq 22\n"
        f"ip access-list dynamic {NEC_NAMES['dynamic']} access TRIGGER",
    )
    with pytest.raises(RulesetParseError, match=rf"dest {VB}/32 dport eq 3389.* not let back in"):
        parse_nec_ix(narrow, "ix.cfg")
    # First match in the trigger: a deny ahead of a permit-all starts no cache entry.
    shadowed = text.replace(
        f"ip access-list dynamic {NEC_NAMES['dynamic']} access {NEC_NAMES['acl']}",
        f"ip access-list TRIGGER deny tcp src any sport any dest {VB}/32 dport eq 3389\n"
        "ip access-list TRIGGER permit ip src any dest any\n"
        f"ip access-list dynamic {NEC_NAMES['dynamic']} access TRIGGER",
    )
    with pytest.raises(RulesetParseError, match=rf"dest {VB}/32 dport eq 3389.* not let back in"):
        parse_nec_ix(shadowed, "ix.cfg")
    # A permit-all trigger (as published IX configs write it) tracks them all.
    everything = shadowed.replace(
        f"ip access-list TRIGGER deny tcp src any sport any dest {VB}/32 dport eq 3389\n", ""
    )
    assert parse_nec_ix(everything, "ix.cfg").rules == parse_nec_ix(text, "ix.cfg").rules


def test_nec_detaches_before_deleting_and_logs_by_subsystem(rendered: dict[str, str]) -> None:
    text = rendered[NEC]
    lines = text.splitlines()
    delete = lines.index(f"no ip access-list {NEC_NAMES['acl']}")
    detaches = [i for i, x in enumerate(lines) if x.strip().startswith("no ip filter ")]
    assert detaches
    assert max(detaches) < delete
    entries = [x for x in lines if x.startswith("ip access-list ")]
    assert entries
    assert not [x for x in entries if x.endswith(" log")]
    assert "logging subsystem flt warn" in lines
    # Deleting a list still bound to an interface is refused, as the IX refuses it.
    bound = text + f"no ip access-list {NEC_NAMES['acl']}\n"
    with pytest.raises(RulesetParseError, match=r"deleted while applied to GigaEthernet0\.0"):
        parse_nec_ix(bound, "ix.cfg")
    # A per-entry 'log' is not IX syntax: refused rather than read as a plain entry.
    logged = text.replace(" dport eq 3389\n", " dport eq 3389 log\n", 1)
    with pytest.raises(RulesetParseError, match="'log' on an access-list entry"):
        parse_nec_ix(logged, "ix.cfg")


# --- YAMAHA RTX -----------------------------------------------------------------------


def _yamaha_lines(text: str) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str, str]]]:
    static, dynamic = {}, {}
    for line in text.splitlines():
        words = line.split()
        if words[:3] == ["ip", "filter", "dynamic"]:
            dynamic[words[3]] = (words[4], words[5], " ".join(words[6:]))
        elif words[:2] == ["ip", "filter"]:
            static[words[2]] = (words[4], words[5])
    return static, dynamic


def test_yamaha_dynamic_filters_carry_the_static_filters_addresses(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    texts = _platform_texts(rendered, minimal, "yamaha")
    assert texts
    for text in texts.values():
        static, dynamic = _yamaha_lines(text)
        assert dynamic
        by_filter = [d for d in dynamic.values() if d[2].startswith("filter ")]
        assert by_filter
        for src, dst, spec in by_filter:
            assert static[spec.split()[1]] == (src, dst), spec
        # A dynamic filter never spans more than a static one permits: no '* *' triggers
        # except where the static filter itself goes to the outside.
        for src, _dst, spec in dynamic.values():
            assert src != "*", spec
        # Dynamic filters only on 'out', behind the pass-all filter.
        assert not re.search(r"secure filter in [\d ]* dynamic", text)
        assert re.search(r"secure filter out 100000 dynamic \d", text)


def test_the_former_yamaha_dynamic_form_opens_every_port_to_everyone(
    minimal: Inventory, rendered: dict[str, str]
) -> None:
    """'ip filter dynamic N * * filter N' on 'in': the named filter's addresses are ignored,
    and a dynamic filter passes the connections it matches ahead of the static ones."""
    text = rendered[RTX]
    static, _ = _yamaha_lines(text)
    number = next(n for n, (_s, d) in static.items() if d == VB)
    old = re.sub(
        rf"ip filter dynamic (\d+) \S+ \S+ filter {number}",
        rf"ip filter dynamic \1 * * filter {number}",
        text,
    )
    first = old.index("ip lan1 secure filter in")
    old = re.sub(r"(secure filter in [\d ]+)\n", r"\1 dynamic 200001\n", old)
    assert old.index("ip lan1 secure filter in") == first
    problems = check_text(minimal, ALPHA, "iga-rt-01", "rtx.cfg", old).problems
    assert any("permits what the alpha model does not allow" in p and "3389" in p for p in problems)


def test_yamaha_replies_need_a_dynamic_filter_covering_the_static_one(
    rendered: dict[str, str],
) -> None:
    text = rendered[RTX]
    flt = parse_yamaha(text, "rtx.cfg")
    assert flt.applied_to == frozenset({"lan1", "lan2", "lan3"})
    # The static filter widened alone: its dynamic filter no longer covers its replies.
    wide = text.replace(f" {VB} tcp * 3389", " * tcp * 3389")
    with pytest.raises(RulesetParseError, match=r"\* tcp \* 3389' \(line \d+\) .* not let back in"):
        parse_yamaha(wide, "rtx.cfg")
    # No 'out' line on one interface: its replies are dropped by the static filters on 'in'.
    stateless = re.sub(r"ip lan2 secure filter out .*\n", "", text)
    with pytest.raises(RulesetParseError, match="not let back in through lan2"):
        parse_yamaha(stateless, "rtx.cfg")
    # A static filter on 'out' that drops: not modelled, refused.
    dropping = text.replace("ip filter 100000 pass * * * * *", "ip filter 100000 reject * * * * *")
    with pytest.raises(RulesetParseError, match="is not 'pass \\* \\* \\* \\* \\*'"):
        parse_yamaha(dropping, "rtx.cfg")


def test_no_yamaha_command_is_longer_than_the_rtx_takes() -> None:
    """The example inventory's largest spoke (a filter list of hundreds of numbers before
    the filters were merged per entry) fits; a line over the limit fails the plan."""
    inv = load_inventory(EXAMPLE)
    rendered = render_all(inv, ALPHA)
    texts = _platform_texts(rendered, inv, "yamaha")
    assert len(texts) > 5
    longest = max(len(line) for text in texts.values() for line in text.splitlines())
    assert longest <= YAMAHA_MAX_COMMAND
    path, text = max(texts.items(), key=lambda kv: len(kv[1]))
    static, _ = _yamaha_lines(text)
    # One filter per entry: the merged lists mean the same packets (the verifier proves it).
    assert any("," in src for src, _ in static.values())
    assert check_text(inv, ALPHA, Path(path).stem, path, text).problems == ()
    # The same policy spelled one filter per prefix pair overflows the 'secure filter' line.
    numbers = " ".join(str(100001 + k) for k in range(700))
    long = re.sub(r"(secure filter in) [\d ]+\n", rf"\1 {numbers}\n", text)
    with pytest.raises(RulesetParseError, match=r"the RTX takes at most 4095: the device cannot"):
        parse_yamaha(long, "rtx.cfg")
    problems = check_text(inv, ALPHA, Path(path).stem, path, long).problems
    assert len(problems) == 1
    assert "cannot hold this policy" in problems[0]


# --- OSPF by number -------------------------------------------------------------------


def test_ospf_is_written_by_number(rendered: dict[str, str]) -> None:
    nft = next(t for p, t in rendered.items() if p.endswith(".nft"))
    assert "ip protocol 89" in nft
    assert "ospf" not in nft.replace("(OSPF, link-local multicast)", "")
    flt = parse_nftables(nft, "gw.nft")
    ospf = [r for r in flt.rules if "ip protocol 89" in r.text]
    assert len(ospf) == 1
    assert ospf[0].boxes[0][2] == ((OSPF, OSPF),)
    assert "permit 89 src" in rendered[NEC]
    assert re.search(r" 224\.0\.0\.0/24 89$", rendered[RTX], re.MULTILINE)


def test_long_lists_are_cut_into_filters_that_mean_the_same(
    minimal: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists cut to a narrow width: more filters, each within the width, same proof."""
    device = minimal.devices_by_hostname["iga-rt-01"]
    wide = render_acl(minimal, ALPHA, device)
    monkeypatch.setattr(generate, "_YAMAHA_FIELD", 30)
    narrow = render_acl(minimal, ALPHA, device)
    static_wide, _ = _yamaha_lines(wide)
    static_narrow, dynamic_narrow = _yamaha_lines(narrow)
    assert len(static_narrow) > len(static_wide)
    assert all(len(s) <= 30 and len(d) <= 30 for s, d in static_narrow.values())
    assert all(len(s) <= 30 and len(d) <= 30 for s, d, _ in dynamic_narrow.values())
    assert check_text(minimal, ALPHA, "iga-rt-01", "rtx.cfg", narrow).problems == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("permit tcp any any eq", "'eq' without its port"),
        ("permit tcp host 10.0.0.300 any", "not a host address: host 10.0.0.300"),
        ("permit tcp any any range 20 10", "empty port range 20-10"),
        ("permit tcp any any lt 0", "'lt 0' matches no port"),
        ("permit tcp any any gt 65535", "'gt 65535' matches no port"),
        ("permit tcp", "an address is missing"),
    ],
)
def test_a_malformed_ios_entry_is_refused_with_its_line(line: str, message: str) -> None:
    # A hand-edited or deployed ACL is read back too (policy.verify): a broken entry is a
    # clear error at its line, never a crash or a silently inverted interval.
    text = f"ip access-list extended T\n {line}\n deny ip any any\n"
    with pytest.raises(RulesetParseError, match=f"^r.cfg:2: {re.escape(message)}"):
        parse_ios(text, "r.cfg")
