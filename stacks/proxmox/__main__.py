"""The Proxmox VE stack: read the stack's configuration, build everything from the inventory."""

from ictinfra.cloud.config import read_config
from ictinfra.cloud.program import build

build(read_config())
