"""The source of truth: typed model, loader with file:line errors, cross checks."""

from ictinfra.inventory.errors import InventoryError, Problem
from ictinfra.inventory.loader import load_inventory
from ictinfra.inventory.model import Inventory

__all__ = ["Inventory", "InventoryError", "Problem", "load_inventory"]
