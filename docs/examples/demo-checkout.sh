#!/usr/bin/env bash
# The demo checkout of `make dev`, end to end, without a Stripe account (docs/payments.md#the-demo-checkout):
# a guest cart on the demo shop, a line, an email and an address, a shipping rate, checkout (a PaymentIntent on
# the demo's connected account at the local Stripe fake), the shopper pays (`commerce dev-pay`, what Stripe.js
# does), confirm, and the paid order as the merchant sees it.
# Run it from the repository root while `make dev` serves: bash docs/examples/demo-checkout.sh
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:${PORT:-8000}}
DATA=${COMMERCE_DATA_DIR:-.data}
UV=$(command -v uv || echo .tools/bin/uv)

# pick KEY...: one value out of the JSON on stdin (list indexes as numbers).
pick() { python3 -c 'import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1:]:
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value)' "$@"; }
credential() { pick "$1" < "$DATA/dev-credentials.json"; }

PK=$(credential publishable_key)
STOREFRONT=(-H 'x-tenant: demo' -H 'content-type: application/json' -H "authorization: Bearer $PK")

# 1. a product of the demo catalog, and a guest cart in euros (its one-time secret authorises later changes)
VARIANT=$(curl -fsS "$BASE/storefront/v1/products?limit=1&currency=EUR" "${STOREFRONT[@]}" | pick data 0 variants 0 id)
CART_JSON=$(curl -fsS "$BASE/storefront/v1/carts" "${STOREFRONT[@]}" -d '{"currency": "EUR"}')
CART=$(echo "$CART_JSON" | pick id)
GUEST=("${STOREFRONT[@]}" -H "x-cart-secret: $(echo "$CART_JSON" | pick secret)")
# 2. two of it, the shopper's email and where it goes
curl -fsS "$BASE/storefront/v1/carts/$CART/lines" "${GUEST[@]}" -d "{\"variant_id\": \"$VARIANT\", \"quantity\": 2}" >/dev/null
curl -fsS -X PATCH "$BASE/storefront/v1/carts/$CART" "${GUEST[@]}" -d '{"email": "shopper@example.com",
  "shipping_address": {"first_name": "Ada", "last_name": "Shopper", "line1": "Hauptstrasse 1", "city": "Berlin",
  "postal_code": "10115", "country": "DE"}}' >/dev/null
# 3. the rates that ship there; take the first
RATE=$(curl -fsS "$BASE/storefront/v1/carts/$CART/shipping-rates" "${GUEST[@]}" | pick data 0 id)
curl -fsS -X PUT "$BASE/storefront/v1/carts/$CART/shipping-rate" "${GUEST[@]}" -d "{\"rate_id\": \"$RATE\"}" >/dev/null
# 4. checkout: the PaymentIntent on the demo shop's connected account (Idempotency-Key required)
CHECKOUT=$(curl -fsS -X POST "$BASE/storefront/v1/carts/$CART/checkout" "${GUEST[@]}" \
  -H "idempotency-key: checkout-$CART")
echo "checkout: $(echo "$CHECKOUT" | pick amount) $(echo "$CHECKOUT" | pick currency) (minor units)"
# 5. the shopper pays with a test card, as Stripe.js would in the browser
"$UV" run --locked commerce dev-pay "$(echo "$CHECKOUT" | pick payment_intent client_secret)"
# 6. the storefront confirms (the fake's payment_intent.succeeded webhook may have placed the order already:
#    both paths reach the same order)
ORDER=$(curl -fsS -X POST "$BASE/storefront/v1/carts/$CART/checkout/confirm" "${GUEST[@]}" \
  -H "idempotency-key: confirm-$CART" | pick order number)
echo "order #$ORDER placed"
# 7. the merchant's view of it (the owner's token)
OWNER=$(curl -fsS "$BASE/admin/v1/auth/token" -H 'x-tenant: demo' -H 'content-type: application/json' \
  -d "{\"email\": \"$(credential owner_email)\", \"password\": \"$(credential owner_password)\"}" | pick access_token)
curl -fsS "$BASE/admin/v1/orders?number=$ORDER" -H 'x-tenant: demo' -H "authorization: Bearer $OWNER" | python3 -c '
import json, sys
order = json.load(sys.stdin)["data"][0]
print("order #%(number)s: %(status)s, payment %(payment_status)s, %(fulfillment_status)s, total %(total)s %(currency)s"
      % order)'
