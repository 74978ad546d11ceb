"""Device credentials: resolved from the inventory's SecretRef at run time, never logged."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, SecretStr

from ictinfra.inventory.model import Device, Inventory, SecretRef
from ictinfra.netmig.errors import CredentialError

DEFAULT_USERNAME = "ictinfra"


class Credentials(BaseModel):
    """A username and a password that prints as '**********'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    password: SecretStr

    def secret(self) -> str:
        return self.password.get_secret_value()


def resolve(ref: SecretRef) -> Credentials:
    """``env:NAME`` reads NAME (the password) and NAME_USER (the username, optional)."""
    if ref.env is None:
        # Vault access belongs to the deployment, not to the lab: say so instead of guessing.
        raise CredentialError(
            f"secret {ref} is a vault reference; only env references resolve here"
        )
    value = os.environ.get(ref.env)
    if not value:
        raise CredentialError(f"environment variable {ref.env} (device password) is not set")
    return Credentials(
        username=os.environ.get(f"{ref.env}_USER", DEFAULT_USERNAME), password=SecretStr(value)
    )


def device_credentials(inv: Inventory, dev: Device) -> Credentials:
    return resolve(dev.credentials or inv.organisation.device_credentials)
