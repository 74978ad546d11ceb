"""Topologies and images as data: validation, the lab inventory, recipes, the mirror."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ictinfra.lab import images, topology
from ictinfra.lab.errors import LabError


def _write(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


GOOD = {
    "networks": [{"name": "a", "subnet": "10.250.1.0/24"}],
    "hosts": [{"name": "h1", "image": "systemd", "networks": ["a"], "groups": ["servers"]}],
}


def test_the_shipped_topologies_load() -> None:
    names = topology.available_topologies()
    assert "default" in names
    for name in names:
        topo = topology.load_topology(name)
        assert topo.hosts


def test_default_topology_gives_the_groups_and_vars_the_playbooks_read() -> None:
    topo = topology.load_topology("default")
    addrs = {h.name: dict.fromkeys(h.networks, f"10.231.0.{i}") for i, h in enumerate(topo.hosts)}
    inv = topology.lab_inventory(topo, addrs)["all"]
    assert set(inv["children"]) >= {"servers", "role_bastion"}
    for key in (
        "ictinfra_ntp_servers",
        "ictinfra_syslog_servers",
        "ictinfra_login_banner",
        "ictinfra_maintenance_subnets",
        "ictinfra_vendors",
    ):
        assert key in inv["vars"]
    bastion = inv["hosts"]["bastion-01"]
    assert bastion["ansible_connection"] == "ictinfra.lab.podman"
    assert bastion["ansible_host"] == "ictinfra-default-bastion-01"
    assert bastion["ictinfra_lab_addresses"] == addrs["bastion-01"]


def test_every_problem_of_a_bad_topology_is_reported(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "bad",
        {
            "networks": [
                {"name": "a", "subnet": "10.250.0.0/16"},
                {"name": "b", "subnet": "10.250.1.0/24"},
            ],
            "hosts": [
                {"name": "h1", "image": "nonesuch", "networks": ["a"]},
                {"name": "h1", "image": "systemd", "networks": ["zz"]},
            ],
        },
    )
    with pytest.raises(LabError) as err:
        topology.load_topology("bad", tmp_path)
    text = str(err.value)
    for needle in ("unknown image 'nonesuch'", "unknown network 'zz'", "overlap", "duplicate host"):
        assert needle in text


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"hosts": []}, "hosts"),
        ({"networks": [{"name": "Bad Name", "subnet": "10.250.1.0/24"}]}, "name"),
        ({"networks": [{"name": "a", "subnet": "10.250.1.7/24"}]}, "subnet"),
        ({"extra": 1}, "extra"),
    ],
)
def test_malformed_topologies_are_refused(
    tmp_path: Path, change: dict[str, object], needle: str
) -> None:
    _write(tmp_path, "t", {**GOOD, **change})
    with pytest.raises(LabError, match=needle):
        topology.load_topology("t", tmp_path)


def test_unknown_topology_names_the_known_ones() -> None:
    with pytest.raises(LabError, match=r"known: .*default"):
        topology.load_topology("nonesuch")


def test_unknown_image_is_refused() -> None:
    with pytest.raises(LabError, match="unknown image"):
        images.build_images(("nonesuch",))


def test_recipe_digest_follows_the_recipe_and_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in images.IMAGES[1:]:
        (tmp_path / spec.name).mkdir()
        (tmp_path / spec.name / "Containerfile").write_text(f"FROM x\n# {spec.name}\n")
    monkeypatch.setattr(images, "IMAGES_DIR", tmp_path)
    before = {spec.name: images.recipe_digest(spec) for spec in images.IMAGES}
    assert len(set(before.values())) == len(before)
    (tmp_path / "python" / "Containerfile").write_text("FROM x\nRUN true\n")
    after = {spec.name: images.recipe_digest(spec) for spec in images.IMAGES}
    # python changed, so did its children; base did not.
    assert after["base"] == before["base"]
    for name in ("python", "systemd", "gateway"):
        assert after[name] != before[name]


def test_images_are_built_parents_first() -> None:
    seen: set[str] = set()
    for spec in images.IMAGES:
        assert spec.parent is None or spec.parent in seen
        assert (spec.parent is None) or (spec.context / "Containerfile").is_file()
        seen.add(spec.name)


@pytest.mark.parametrize(
    ("name", "text", "mirror"),
    [
        (
            "sources.list",
            "deb http://mirror.example/debian bookworm main\n",
            "http://mirror.example/debian",
        ),
        (
            "sources.list",
            "# x\ndeb [arch=amd64] http://m.example/d bookworm main\n",
            "http://m.example/d",
        ),
        (
            "debian.sources",
            "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm\n\n"
            "Types: deb\nURIs: http://m.example/debian-security\n",
            "http://m.example/debian",
        ),
        ("sources.list", "deb http://m.example/debian-security bookworm-security main\n", None),
        ("sources.list", "", None),
    ],
)
def test_debian_mirror_is_read_from_apt(
    tmp_path: Path, name: str, text: str, mirror: str | None
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert images.debian_mirror((tmp_path / "absent", path)) == mirror
