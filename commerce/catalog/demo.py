"""A small, realistic demo catalog for the development server (``commerce dev``): collections, products with
variants, prices in two currencies. Built through the catalog services, so it obeys every rule and writes its events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.publishable_keys import service as publishable_keys_service
from auth.publishable_keys.schemas import PublishableKeyCreate
from auth.runtime import AuthRuntime
from commerce.catalog import collections as collections_service
from commerce.catalog import service as catalog_service
from commerce.catalog.models import Product
from commerce.catalog.schemas import CollectionCreate, CollectionProductsSet, ProductCreate
from commerce.inventory import demo as inventory_demo
from commerce.shipping import demo as shipping_demo
from tenants.context import TenantContext

# (title, product type, tags, options {name: values}, USD price in cents, collections)
_PRODUCTS: list[tuple[str, str, list[str], dict[str, list[str]], int, list[str]]] = [
    (
        "Classic Cotton Tee",
        "T-shirt",
        ["cotton", "basics"],
        {"Size": ["S", "M", "L"], "Color": ["White", "Black"]},
        2000,
        ["apparel", "new"],
    ),
    ("Blue Oxford Shirt", "Shirt", ["cotton", "office"], {"Size": ["S", "M", "L", "XL"]}, 5900, ["apparel"]),
    (
        "Merino Crew Sweater",
        "Sweater",
        ["wool", "winter"],
        {"Size": ["S", "M", "L"], "Color": ["Grey", "Navy"]},
        8900,
        ["apparel"],
    ),
    ("Linen Summer Dress", "Dress", ["linen", "summer"], {"Size": ["XS", "S", "M", "L"]}, 7900, ["apparel", "new"]),
    ("Slim Chino Trousers", "Trousers", ["cotton"], {"Waist": ["30", "32", "34", "36"]}, 6900, ["apparel"]),
    (
        "Rain Shell Jacket",
        "Jacket",
        ["waterproof", "outdoor"],
        {"Size": ["S", "M", "L"]},
        14900,
        ["apparel", "outdoor"],
    ),
    ("Canvas Sneakers", "Shoes", ["canvas"], {"EU size": ["39", "40", "41", "42", "43", "44"]}, 6500, ["shoes"]),
    ("Leather Chelsea Boots", "Shoes", ["leather", "winter"], {"EU size": ["40", "41", "42", "43"]}, 18900, ["shoes"]),
    (
        "Trail Running Shoes",
        "Shoes",
        ["running", "outdoor"],
        {"EU size": ["40", "41", "42", "43", "44"]},
        12900,
        ["shoes", "outdoor"],
    ),
    ("Wool Beanie", "Hat", ["wool", "winter"], {"Color": ["Red", "Grey", "Navy"]}, 2500, ["accessories"]),
    ("Leather Belt", "Belt", ["leather"], {"Length": ["90 cm", "100 cm", "110 cm"]}, 4500, ["accessories"]),
    ("Canvas Tote Bag", "Bag", ["canvas", "basics"], {}, 2900, ["accessories", "new"]),
    ("Daypack 20 L", "Bag", ["outdoor"], {"Color": ["Olive", "Black"]}, 8900, ["accessories", "outdoor"]),
    ("Insulated Water Bottle", "Bottle", ["outdoor"], {"Volume": ["500 ml", "750 ml"]}, 3200, ["outdoor"]),
    ("Ceramic Coffee Mug", "Mug", ["kitchen"], {"Color": ["White", "Sand"]}, 1800, ["home"]),
    ("Pour-over Coffee Set", "Kitchen", ["kitchen", "coffee"], {}, 5400, ["home", "new"]),
    ("Linen Napkins (set of 4)", "Textile", ["linen", "kitchen"], {"Color": ["Natural", "Sage"]}, 3600, ["home"]),
    ("Scented Soy Candle", "Candle", ["home"], {"Scent": ["Cedar", "Fig", "Sea salt"]}, 2800, ["home"]),
    ("Wool Throw Blanket", "Textile", ["wool", "home"], {"Color": ["Oat", "Charcoal"]}, 11900, ["home"]),
    ("Notebook A5 Dotted", "Stationery", ["paper"], {"Cover": ["Black", "Terracotta"]}, 1500, ["home", "new"]),
]

_COLLECTIONS = {
    "apparel": "Apparel",
    "shoes": "Shoes",
    "accessories": "Accessories",
    "outdoor": "Outdoor",
    "home": "Home & Living",
    "new": "New Arrivals",
}


# EUR prices are the USD prices converted at a round 0.92 and ending in .90 or .00: integer arithmetic only.
def _eur(usd_cents: int) -> int:
    return max(100, (usd_cents * 92 // 100) // 100 * 100 + 90)


def _variants(options: dict[str, list[str]], usd: int, sku: str) -> list[dict[str, Any]]:
    combos: list[list[str]] = [[]]
    for values in options.values():
        combos = [[*combo, value] for combo in combos for value in values]
    prices = [{"amount": usd, "currency": "USD"}, {"amount": _eur(usd), "currency": "EUR"}]
    return [
        {
            "sku": "-".join([sku, *(value.replace(" ", "").upper()[:6] for value in combo)]),
            "option_values": combo,
            "prices": prices,
            "weight": "0.4",
            "weight_unit": "kg",
        }
        for combo in combos
    ]


async def seed_catalog(db: AsyncSession) -> int:
    """Create the demo catalog if the shop has no product yet; returns the number of products created."""
    if await db.scalar(select(func.count()).select_from(Product)):
        return 0
    members: dict[str, list[Any]] = {handle: [] for handle in _COLLECTIONS}
    for index, (title, product_type, tags, options, usd, collections) in enumerate(_PRODUCTS, start=1):
        body = ProductCreate.model_validate(
            {
                "title": title,
                "description": f"{title}: a demo product of the development shop.",
                "status": "active",
                "vendor": "Demo Supply Co.",
                "product_type": product_type,
                "tags": tags,
                "options": [{"name": name, "values": values} for name, values in options.items()],
                "variants": _variants(options, usd, f"DEMO{index:02d}"),
                "media": [{"url": f"https://picsum.photos/seed/demo{index}/800/800", "alt_text": title}],
            }
        )
        product = await catalog_service.create_product(db, body, actor=None)
        for handle in collections:
            members[handle].append(product.id)
    for handle, title in _COLLECTIONS.items():
        collection = await collections_service.create_collection(
            db, CollectionCreate(title=title, handle=handle), actor=None
        )
        await collections_service.set_products(
            db, collection.id, CollectionProductsSet(product_ids=members[handle]), if_match=None, actor=None
        )
    return len(_PRODUCTS)


async def seed_storefront(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, *, with_key: bool
) -> tuple[int, str | None]:
    """The demo catalog, its stock and shipping (each if the shop has none) and, with ``with_key``, a publishable
    key to read it with."""
    created = await seed_catalog(db)
    await inventory_demo.seed_stock(db)
    await shipping_demo.seed_shipping(db)
    if not with_key:
        return created, None
    body = PublishableKeyCreate(name="Demo storefront", allowed_origins=["http://localhost:3000"])
    _, key = await publishable_keys_service.create_key(db, auth, tenant, body, actor=None)
    return created, key
