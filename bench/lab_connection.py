"""Podman connection speed: ictinfra.lab.podman (pipelined) vs containers.podman.podman.

Runs the same 15-task play against one lab container with each connection, alternating,
and prints the ratio (same run, same load). Needs podman and the lab images:
    .venv/bin/python bench/lab_connection.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ictinfra.lab import ansible, images, podman

NAME = "ictinfra-bench-connection"
PLAY = (
    """
- hosts: all
  gather_facts: false
  tasks:
"""
    + "".join(
        "    - ansible.builtin.command: /bin/true\n      changed_when: false\n" for _ in range(10)
    )
    + "".join(
        f"    - ansible.builtin.copy: {{dest: /tmp/f{i}, content: '{i}', mode: '0644'}}\n"
        for i in range(5)
    )
)


def run(connection: str, folder: Path) -> float:
    inv = folder / "hosts.yml"
    inv.write_text(
        f"all:\n  hosts:\n    {NAME}:\n      ansible_connection: {connection}\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    start = time.monotonic()
    done = subprocess.run(
        [ansible.tool("ansible-playbook"), "-i", str(inv), str(folder / "play.yml")],
        env=ansible.environment(
            {"ANSIBLE_INVENTORY_ENABLED": "yaml", "ANSIBLE_PIPELINING": "True"}
        ),
        cwd=ansible.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(done.stdout[-3000:])
    return time.monotonic() - start


def main() -> None:
    podman.setup()
    images.build_images(("python",))
    subprocess.run(["podman", "rm", "-f", NAME], capture_output=True, check=False)
    subprocess.run(
        [
            "podman",
            "run",
            "-d",
            "--name",
            NAME,
            images.IMAGES_BY_NAME["python"].ref,
            "sleep",
            "600",
        ],
        check=True,
        capture_output=True,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "play.yml").write_text(PLAY)
            times: dict[str, list[float]] = {
                "containers.podman.podman": [],
                "ictinfra.lab.podman": [],
            }
            for _ in range(3):
                for conn, values in times.items():
                    values.append(run(conn, folder))
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", NAME], capture_output=True, check=False)
    base = min(times["containers.podman.podman"])
    piped = min(times["ictinfra.lab.podman"])
    for conn, values in times.items():
        print(f"{conn:26} best {min(values):6.2f} s  runs {', '.join(f'{v:.2f}' for v in values)}")
    print(f"pipelined / upstream: {piped / base:.2f} (lower is faster)")


if __name__ == "__main__":
    main()
