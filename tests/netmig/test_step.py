"""The plan step: translations of every replacement, offline, in the report."""

from __future__ import annotations

from ictinfra.inventory import Inventory
from ictinfra.netmig.step import netmig_step
from ictinfra.render.devices import render_device


def test_step_translates_every_replacement(inventory: Inventory) -> None:
    out = netmig_step(inventory)
    assert out.problems == ()
    (section,) = out.sections
    assert section.problems == ()
    (_, table) = section.tables[0]
    assert [row[1] for row in table.rows] == ["iga-rt-11", "ho-core-11"]  # by wave
    assert {row[-1] for row in table.rows} == {"ready"}
    ho = inventory.devices_by_hostname["ho-core-11"]
    assert out.artifacts["netmig/intended/ho-core-11.cfg"] == render_device(inventory, ho)
    accounting = out.artifacts["netmig/translations/iga-rt-11.txt"]
    assert isinstance(accounting, str)
    assert "translated  ip lan1 address 10.17.110.1/24" in accounting
