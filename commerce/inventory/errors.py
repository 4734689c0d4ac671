from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound


class LocationNotFound(NotFound):
    code = "location_not_found"
    title = "The location does not exist."


class LocationNameTaken(Conflict):
    code = "location_name_taken"
    title = "Another location already has this name."


class LocationInactive(Conflict):
    code = "location_inactive"
    title = "The location is deactivated; reactivate it to change its stock."


class InventoryLevelNotFound(NotFound):
    code = "inventory_level_not_found"
    title = "The inventory level does not exist."


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
    title = "The reservation does not exist."


class UnknownVariant(InvalidInput):
    code = "unknown_variant"
    title = "No variant has this id."


class UnknownLocation(InvalidInput):
    code = "unknown_location"
    title = "No location has this id."


class OnHandWouldBeNegative(Conflict):
    code = "on_hand_would_be_negative"
    title = "The adjustment would take on_hand below zero; nothing was changed."


class InventoryLevelChanged(Conflict):
    code = "inventory_level_changed"
    title = "on_hand is no longer the value you expected; nothing was changed."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock is available for this reservation."
