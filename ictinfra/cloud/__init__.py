"""The consolidated server cloud (統合サーバ): Pulumi components at the level of intent.

- ``estate``: the VMs and hosts of a stack, derived from the inventory (never hand-written).
- ``placement``: VMs on hosts under capacity, overcommit, anti-affinity and N+1 headroom.
- ``components`` + ``backends``: ComponentResources with a vSphere and a Proxmox VE backend.
- ``program``: ``build(cfg)``, what each ``stacks/<name>/__main__.py`` calls.
- ``record``: the offline plan, every registration recorded under Pulumi's mocks.
- ``policies``: CrossGuard policies, evaluated offline on the recorded plan.
"""
