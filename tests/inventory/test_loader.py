"""Loading the inventory: every kind of bad input names the right file and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ictinfra.inventory import InventoryError, load_inventory
from ictinfra.inventory.model import Batch, Lifecycle

Edit = Callable[[Path, str, str], None]


def line_of(path: Path, needle: str) -> int:
    """1-based line of the only line of ``path`` containing ``needle``."""
    hits = [
        i
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if needle in line
    ]
    assert len(hits) == 1, f"{needle!r} found on lines {hits} of {path}"
    return hits[0]


def problems_of(root: Path) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load_inventory(root)
    return [str(p) for p in info.value.problems]


def test_minimal_inventory_loads_whole(minimal_inventory: Path) -> None:
    inv = load_inventory(minimal_inventory)
    assert [s.id for s in inv.sites] == ["honcho", "dc", "iga"]
    assert {d.hostname: d.lifecycle for d in inv.devices} == {
        "ho-core-01": Lifecycle.CURRENT,
        "ho-core-11": Lifecycle.REPLACEMENT,
        "iga-rt-01": Lifecycle.CURRENT,
        "iga-rt-11": Lifecycle.REPLACEMENT,
    }
    assert inv.systems_by_id["SYS-001"].name == "県税総合システム"
    assert inv.systems_by_id["SYS-002"].consolidation.batch is Batch.NEXT
    assert [d.hostname for d in inv.waves()[0]] == ["iga-rt-11"]
    assert str(inv.organisation.device_credentials) == "vault:network/devices"


def test_model_is_frozen(minimal_inventory: Path) -> None:
    inv = load_inventory(minimal_inventory)
    with pytest.raises(ValueError, match="frozen"):
        inv.sites[0].id = "x"  # type: ignore[misc]


def test_yaml_syntax_error(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "sites.yml"
    edit(f, "    name_ja: 伊賀庁舎", "    name_ja: [伊賀庁舎")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith("sites.yml:")
    assert "YAML syntax error" in problem
    line = int(problem.split(":")[1])
    assert line_of(f, "[伊賀庁舎") <= line <= line_of(f, "[伊賀庁舎") + 2


def test_a_date_that_does_not_exist_is_a_problem_at_its_line(
    minimal_inventory: Path, edit: Edit
) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "    end_of_support: 2020-09-30\n", "    end_of_support: 2020-13-45\n")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith(f"network/devices.yml:{line_of(f, '2020-13-45')}: bad value")
    assert "'2020-13-45' is not a valid timestamp" in problem


def test_unknown_field_with_suggestion(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "sites.yml"
    edit(f, "    region: 伊賀", "    region: 伊賀\n    regoin: typo")
    assert problems_of(minimal_inventory) == [
        f"sites.yml:{line_of(f, 'regoin')}: unknown field 'regoin'; did you mean 'region'?"
    ]


def test_unknown_nested_field(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "{status: scheduled}", "{status: scheduled, yaer: 2020}")
    assert problems_of(minimal_inventory) == [
        f"systems.yml:{line_of(f, 'yaer')}: unknown field 'yaer'"
    ]


def test_wrong_type(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "name: doc-ap01, role: ap, vcpu: 4", "name: doc-ap01, role: ap, vcpu: four")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith(f"systems.yml:{line_of(f, 'vcpu: four')}: servers[0].vcpu: ")
    assert "integer" in problem
    assert "'four'" in problem


def test_wrong_enum_value(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "platform: nec_ix", "platform: nec_ux")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith(f"network/devices.yml:{line_of(f, 'nec_ux')}: platform: ")
    assert "'nec_ix'" in problem


def test_missing_required_field(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "    model: RTX1200\n", "")
    assert problems_of(minimal_inventory) == [
        f"network/devices.yml:{line_of(f, 'hostname: iga-rt-01')}: missing required field 'model'"
    ]


def test_missing_section(minimal_inventory: Path) -> None:
    f = minimal_inventory / "organisation.yml"
    f.write_text(f.read_text(encoding="utf-8").split("mail_policy:")[0], encoding="utf-8")
    assert problems_of(minimal_inventory) == [
        ".: missing section 'mail_policy' (no file defines it)"
    ]


def test_unknown_section_and_section_twice(minimal_inventory: Path) -> None:
    extra = minimal_inventory / "zz-extra.yml"
    extra.write_text("sitez: []\norganisation:\n  name: again\n", encoding="utf-8")
    assert problems_of(minimal_inventory) == [
        "zz-extra.yml:1: unknown section 'sitez'; did you mean 'sites'?",
        "zz-extra.yml:2: section 'organisation' already given in organisation.yml",
    ]


def test_duplicate_yaml_key(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "sites.yml"
    edit(f, "    region: 伊賀", "    region: 伊賀\n    kind: regional_office  # again")
    assert problems_of(minimal_inventory) == [
        f"sites.yml:{line_of(f, '# again')}: duplicate key 'kind'"
    ]


def lines_with(path: Path, needle: str) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if needle in line]


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "message"),
    [
        (
            "network/segments.yml",
            "site: iga, zone: lgwan",
            "site: ueno, zone: lgwan",
            "ueno",
            "unknown site 'ueno'",
        ),
        (
            "network/segments.yml",
            "site: dc, zone: internet",
            "site: dc, zone: internett",
            "internett",
            "unknown zone 'internett'",
        ),
        (
            "systems.yml",
            "segment: dc-lgwan, address: 10.2.20.11",
            "segment: dc-lgwn, address: 10.2.20.11",
            "dc-lgwn",
            "server 'doc-ap01': unknown segment 'dc-lgwn'",
        ),
        (
            "flows.yml",
            "destination_system: SYS-090",
            "destination_system: SYS-099",
            "SYS-099",
            "unknown system 'SYS-099'",
        ),
        (
            "network/devices.yml",
            "replaces: iga-rt-01",
            "replaces: iga-rt-02",
            "iga-rt-02",
            "replaces unknown device 'iga-rt-02'",
        ),
        (
            "systems.yml",
            "vendor: si-alpha",
            "vendor: si-beta",
            "si-beta",
            "unknown vendor 'si-beta'",
        ),
        (
            "network/devices.yml",
            "{name: lan1, segment: iga-lgwan,",
            "{name: lan1, segment: ho-lgwan,",
            "name: lan1, segment: ho-lgwan",
            "segment 'ho-lgwan' is at site 'honcho', not the device's 'iga'",
        ),
    ],
    ids=["site", "zone", "segment", "system", "device", "vendor", "segment-of-other-site"],
)
def test_dangling_references(
    minimal_inventory: Path, edit: Edit, file: str, old: str, new: str, needle: str, message: str
) -> None:
    f = minimal_inventory / file
    edit(f, old, new)
    assert f"{file}:{line_of(f, needle)}: {message}" in problems_of(minimal_inventory)


def test_duplicate_hostname(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "  - hostname: iga-rt-11", "  - hostname: iga-rt-01")
    first, second = lines_with(f, "hostname: iga-rt-01")
    assert (
        f"network/devices.yml:{second}: duplicate hostname 'iga-rt-01' "
        f"(first defined at network/devices.yml:{first})"
    ) in problems_of(minimal_inventory)


def test_duplicate_system_id(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "  - id: SYS-002", "  - id: SYS-001")
    first, second = lines_with(f, "id: SYS-001")
    assert problems_of(minimal_inventory) == [
        f"systems.yml:{second}: duplicate system id 'SYS-001' "
        f"(first defined at systems.yml:{first})"
    ]


def test_duplicate_address_across_files(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "segment: dc-mgmt, address: 10.2.99.21", "segment: dc-mgmt, address: 10.2.99.101")
    hyp = minimal_inventory / "platform.yml"
    assert problems_of(minimal_inventory) == [
        f"platform.yml:{line_of(hyp, '10.2.99.101')}: address 10.2.99.101 is already used by "
        f"server 'bastion-01' (systems.yml:{line_of(f, '10.2.99.101')})"
    ]


def test_replacement_may_take_over_addresses_of_the_device_it_replaces(
    minimal_inventory: Path,
) -> None:
    inv = load_inventory(minimal_inventory)
    old, new = inv.devices_by_hostname["iga-rt-01"], inv.devices_by_hostname["iga-rt-11"]
    assert old.interfaces[0].address == new.interfaces[0].address


def test_duplicate_vlan_at_a_site(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "segments.yml"
    edit(f, "site: dc, zone: lgwan, vlan: 220", "site: dc, zone: lgwan, vlan: 210")
    (problem,) = problems_of(minimal_inventory)
    assert problem == (
        f"network/segments.yml:{line_of(f, 'vlan: 210, subnet: 10.2.20.0')}: VLAN 210 is already "
        f"used at site 'dc' (network/segments.yml:{line_of(f, 'id: dc-mynumber')})"
    )


def test_same_vlan_at_two_sites_is_fine(minimal_inventory: Path) -> None:
    inv = load_inventory(minimal_inventory)
    assert sorted(s.site for s in inv.segments if s.vlan == 900) == ["dc", "honcho", "iga"]


def test_overlapping_subnets(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "segments.yml"
    edit(
        f,
        "subnet: 10.17.110.0/24, gateway: 10.17.110.1",
        "subnet: 10.17.0.0/16, gateway: 10.17.110.1",
    )
    problems = problems_of(minimal_inventory)
    assert (
        f"network/segments.yml:{line_of(f, 'id: iga-mgmt')}: subnet 10.17.99.0/24 overlaps "
        f"10.17.0.0/16 of segment 'iga-lgwan' (network/segments.yml:{line_of(f, 'id: iga-lgwan')})"
    ) in problems


def test_interface_address_outside_its_segment(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(
        f,
        "{name: GigaEthernet0.0, segment: iga-lgwan, address: 10.17.110.1/24}",
        "{name: GigaEthernet0.0, segment: iga-lgwan, address: 10.17.111.1/24}",
    )
    assert problems_of(minimal_inventory) == [
        f"network/devices.yml:{line_of(f, '10.17.111.1/24')}: address 10.17.111.1 is outside "
        "segment 'iga-lgwan' (10.17.110.0/24)"
    ]


def test_server_address_outside_its_segment(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "address: 10.2.20.11", "address: 10.2.21.11")
    assert problems_of(minimal_inventory) == [
        f"systems.yml:{line_of(f, '10.2.21.11')}: server 'doc-ap01': address 10.2.21.11 is outside "
        "segment 'dc-lgwan' (10.2.20.0/24)"
    ]


def test_vm_in_a_zone_its_system_is_not_in(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "systems.yml"
    edit(f, "segment: dc-lgwan, address: 10.2.20.11", "segment: dc-internet, address: 10.2.30.99")
    assert problems_of(minimal_inventory) == [
        f"systems.yml:{line_of(f, 'dc-internet, address: 10.2.30.99')}: server 'doc-ap01' is on "
        "segment 'dc-internet' in zone 'internet', which is not a zone of system SYS-002 (lgwan)"
    ]


def test_replacement_of_a_replacement_and_missing_wave(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "    replaces: ho-core-01\n    wave: 2\n", "    replaces: ho-core-01\n")
    assert problems_of(minimal_inventory) == [
        f"network/devices.yml:{line_of(f, 'hostname: ho-core-11')}: "
        "a replacement device must have a cutover 'wave'"
    ]


def test_interface_map_must_name_real_interfaces(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "{lan1: GigaEthernet0.0,", "{lan9: GigaEthernet0.0,")
    assert problems_of(minimal_inventory) == [
        f"network/devices.yml:{line_of(f, '{lan9:')}: "
        "interface_map: 'lan9' is not an interface of 'iga-rt-01'"
    ]


def test_secrets_are_references_never_values(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "organisation.yml"
    edit(
        f,
        "  device_credentials: {vault: network/devices}",
        "  device_credentials: {vault: network/devices, env: NET_PASSWORD}\n"
        "  enable_password: cisco123",
    )
    assert problems_of(minimal_inventory) == [
        f"organisation.yml:{line_of(f, 'device_credentials')}: device_credentials: "
        "a secret reference names exactly one of 'env' or 'vault'",
        f"organisation.yml:{line_of(f, 'enable_password')}: unknown field 'enable_password'",
    ]
    assert "cisco123" not in "\n".join(problems_of(minimal_inventory))


def test_every_problem_at_once_sorted_by_file_and_line(minimal_inventory: Path, edit: Edit) -> None:
    edit(minimal_inventory / "sites.yml", "    region: 伊賀", "    regoin: 伊賀")
    edit(minimal_inventory / "systems.yml", "vcpu: 16", "vcpu: 0")
    edit(minimal_inventory / "flows.yml", "via: maintenance", "via: tunnel")
    problems = problems_of(minimal_inventory)
    assert [p.split(":")[0] for p in problems] == [
        "flows.yml",
        "sites.yml",
        "sites.yml",
        "systems.yml",
    ]
    assert "missing required field 'region'" in problems[1]
    assert "unknown field 'regoin'" in problems[2]


def test_a_syntax_error_does_not_cascade(minimal_inventory: Path, edit: Edit) -> None:
    edit(minimal_inventory / "sites.yml", "    name_ja: 伊賀庁舎", "    name_ja: [伊賀庁舎")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith("sites.yml:")


def test_an_invalid_item_does_not_cascade_into_references(
    minimal_inventory: Path, edit: Edit
) -> None:
    f = minimal_inventory / "sites.yml"
    edit(f, "    kind: regional_office", "    kind: branch")
    (problem,) = problems_of(minimal_inventory)
    assert problem.startswith(f"sites.yml:{line_of(f, 'kind: branch')}: kind: ")


def test_not_a_folder(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: inventory folder not found"
    ]


def test_interface_name_must_suit_the_platform(minimal_inventory: Path, edit: Edit) -> None:
    f = minimal_inventory / "network" / "devices.yml"
    edit(f, "{name: GigaEthernet0.0, segment: iga-lgwan,", "{name: lan4, segment: iga-lgwan,")
    problems = problems_of(minimal_inventory)
    assert problems[0].startswith(
        f"network/devices.yml:{line_of(f, '{name: lan4, segment: iga-lgwan')}: "
        "'lan4' is not an interface name of platform nec_ix (names start with GigaEthernet"
    )
