# GNU General Public License v3.0+ (it extends containers.podman's podman connection,
# which is GPL-3.0-or-later; see collections/ansible_collections/containers/podman/COPYING)
"""containers.podman.podman with pipelining: modules go through ``podman exec -i``'s stdin.

The upstream plugin copies every module into the container and runs it with three or four
``podman exec`` calls per task (mkdir, chmod, run, rm); piping the module into one
``podman exec -i`` makes a task one call. Everything else is the upstream plugin.
"""

from __future__ import annotations

DOCUMENTATION = """
    name: podman
    short_description: podman exec with pipelining (one exec per task)
    description:
        - The containers.podman.podman connection, with pipelining; modules are piped into
          C(podman exec -i) instead of copied into the container.
    options:
      remote_addr:
        description:
          - The ID of the container you want to access.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description:
            - User which is used to execute commands inside the container.
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description:
          - Extra arguments to pass to the podman command line.
        default: ''
        ini:
          - section: defaults
            key: podman_extra_args
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description:
          - Executable for podman command.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
      pipelining:
        description:
          - Pipe modules through stdin (one podman exec per task).
        default: true
        type: boolean
        env:
          - name: ANSIBLE_PIPELINING
        ini:
          - section: connection
            key: pipelining
        vars:
          - name: ansible_pipelining
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)


class Connection(PodmanConnection):
    transport = "ictinfra.lab.podman"
    has_pipelining = True

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if not self._connected:
            self._connect()
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec", "-i"]
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
