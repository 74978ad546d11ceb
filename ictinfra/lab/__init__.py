"""The lab: podman test containers for roles, isolation gateways and services.

``podman.setup`` makes podman work on this machine kind without touching one where it
already works; ``images.build_images`` builds the lab images from Debian (no registry);
``topology.up`` / ``down`` / ``status`` run named topologies whose containers and
networks carry the project label; ``ansible`` applies the playbooks, lints and runs the
roles' Molecule scenarios.
"""

from ictinfra.lab.errors import LabError

__all__ = ["LabError"]
