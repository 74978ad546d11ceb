"""Remediation (running -> intended) and rollback (intended -> running) with hier_config v3.

hier_config ships an IOS driver; NEC IX and YAMAHA RTX get drivers here, mostly data
(which commands replace each other instead of needing a ``no`` first). Both directions are
pure functions of two texts; the cutover pushes the remediation and keeps the rollback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from hier_config import WorkflowRemediation, get_hconfig
from hier_config.child import HConfigChild
from hier_config.models import IdempotentCommandsRule, MatchRule, PerLineSubRule
from hier_config.models import Platform as HPlatform
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.root import HConfig
from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Platform
from ictinfra.netmig.drivers import net_driver


def _idempotent(*paths: tuple[str, ...]) -> list[IdempotentCommandsRule]:
    return [
        IdempotentCommandsRule(match_rules=tuple(MatchRule(startswith=p) for p in path))
        for path in paths
    ]


class NecIxDriver(HConfigDriverBase):
    """NEC UNIVERGE IX: IOS-like sections indented by two spaces, ``no`` negation."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverRules(
            idempotent_commands=_idempotent(
                ("hostname ",),
                ("timezone ",),
                ("snmp-agent ip location ",),
                ("snmp-agent ip contact ",),
                ("dns-resolver domain-name ",),
                ("interface ", "description "),
                ("interface ", "ip address "),
                ("interface ", "shutdown"),
                ("ip router ospf ", "router-id "),
            ),
            # As on IOS: "no ip address" is how the device shows an unset address.
            per_line_sub=[PerLineSubRule(search=r"^\s*no ip address$", replace="")],
            indentation=2,
        )


class YamahaDriver(HConfigDriverBase):
    """YAMAHA RTX: a flat list of commands; one value per key replaces the last."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverRules(
            idempotent_commands=_idempotent(
                ("console prompt ",),
                ("dns domain ",),
                ("snmp syslocation ",),
                ("snmp syscontact ",),
                ("snmp sysname ",),
                ("ospf router id ",),
            ),
            indentation=1,
        )

    def idempotent_for(
        self, config: HConfigChild, other_children: Iterable[HConfigChild]
    ) -> HConfigChild | None:
        # Keyed commands whose key is their first words: "ip lan1 address", "ip route X"
        # (one line per destination holds all its gateways; a new line replaces the old).
        for rx in (r"^(ip \S+ address) ", r"^(description \S+) ", r"^(ip route \S+) "):
            m = re.match(rx, config.text)
            if m:
                for other in other_children:
                    if other.text.startswith(m.group(1) + " "):
                        return other
        return super().idempotent_for(config, other_children)


def hc_driver(platform: Platform | str) -> HConfigDriverBase | HPlatform:
    p = Platform(platform)
    if p in {Platform.CISCO_IOS, Platform.CISCO_XE}:
        return HPlatform.CISCO_IOS
    if p is Platform.NEC_IX:
        return NecIxDriver()
    return YamahaDriver()


def hconfig(platform: Platform | str, text: str) -> HConfig:
    """The hier_config tree of a config as a device shows it (volatile lines removed)."""
    drv = net_driver(platform)
    cleaned = [
        line
        for line in drv.normalise(text).splitlines()
        if not line.startswith(drv.comment) and line.strip() not in {"end"}
    ]
    return get_hconfig(hc_driver(platform), "\n".join(cleaned))


class ConfigDiff(BaseModel):
    """What to send to make running equal intended, and what to send to undo it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    remediation: tuple[str, ...]
    rollback: tuple[str, ...]
    unified: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.remediation


def _commands(config: HConfig) -> tuple[str, ...]:
    out: list[str] = []
    for line in config.lines():
        # A negated banner is one command; its body lines are not commands.
        if line.startswith("no banner "):
            out.append(" ".join(line.split("\n")[0].split()[:3]))
            continue
        out.extend(line.split("\n"))
    return tuple(out)


def diff(platform: Platform | str, running: str, intended: str) -> ConfigDiff:
    run = hconfig(platform, running)
    want = hconfig(platform, intended)
    flow = WorkflowRemediation(run, want)
    unified = tuple(
        difflib.unified_diff(
            list(run.dump_simple()), list(want.dump_simple()), "running", "intended", lineterm=""
        )
    )
    return ConfigDiff(
        platform=str(platform),
        remediation=_commands(flow.remediation_config),
        rollback=_commands(flow.rollback_config),
        unified=unified,
    )


def same(platform: Platform | str, a: str, b: str) -> bool:
    """True when two configurations need no change to become each other."""
    return diff(platform, a, b).empty and diff(platform, b, a).empty
