"""Ansible inventory plugin: the hosts and groups of ictinfra's source of truth.

Reads the YAML inventory folder with ictinfra's own loader (every problem reported
with file:line) and adds the groups built by ``ictinfra.inventory.ansible``.
"""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: ictinfra
short_description: ictinfra's source of truth as an Ansible inventory
description:
  - Loads the inventory folder that holds this file with ictinfra's loader and adds
    servers and network devices grouped by zone, site and role, with the variables
    the roles read (C(ictinfra_*)).
options:
  plugin:
    description: Marks the file as an ictinfra inventory source.
    required: true
    choices: ['ictinfra']
"""

EXAMPLES = r"""
# inventory/ictinfra.yml
plugin: ictinfra
"""


class InventoryModule(BaseInventoryPlugin):
    NAME = "ictinfra"
    # The source is the repository's own YAML, trusted like host_vars and the yaml plugin.
    trusted_by_default = True

    def verify_file(self, path):
        return super().verify_file(path) and Path(path).name in {"ictinfra.yml", "ictinfra.yaml"}

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        try:
            from ictinfra.inventory import InventoryError, load_inventory
            from ictinfra.inventory.ansible import build_ansible_inventory
        except ImportError as exc:
            raise AnsibleParserError(
                f"the ictinfra library is not importable ({exc}); run Ansible from ./inv's .venv"
            ) from exc
        try:
            model = load_inventory(Path(path).parent)
        except InventoryError as exc:
            raise AnsibleParserError(str(exc)) from exc
        view = build_ansible_inventory(model)
        for name in view.groups:
            if name != "all":
                self.inventory.add_group(name)
        for name, group in view.groups.items():
            for child in group.children:
                self.inventory.add_child(name, child)
            for host in group.hosts:
                self.inventory.add_host(host, group=name)
            for key, value in group.vars.items():
                self.inventory.set_variable(name, key, value)
        for host, variables in view.hostvars.items():
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
