from __future__ import annotations

from core.errors import NotFound


class ShopNotFound(NotFound):
    code = "shop_not_found"
    title = "The shop settings do not exist for this tenant."
