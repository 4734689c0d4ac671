"""The platform's fees from a tenant's payment ledger: application fees of succeeded payments minus fees refunded,
per currency, with counts (read from the tenant's schema by an operator)."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.auth import OperatorHandle
from tests.fixtures.billing import BillingTenant
from tests.fixtures.orders import LineSpec, MakePaidOrder
from tests.fixtures.tenants import MakeTenant


async def test_fees_collected_per_currency_net_of_refunds(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    operator: OperatorHandle,
) -> None:
    euro = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 10_000)], application_fee=300)
    await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 5_000)], application_fee=150)
    await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 3_000)], currency="JPY", application_fee=90)
    await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 9_999)], pay=False, application_fee=200)
    refunded = await orders_client.post(
        f"/admin/v1/orders/{euro.id}/refunds",
        json={"amount": 5_000},
        headers={**euro.headers, "idempotency-key": str(uuid.uuid4())},
    )
    assert refunded.status_code == 201, refunded.text

    response = await orders_client.get(
        f"/platform/v1/tenants/{chargeable_tenant.handle.id}/billing/fees", headers=operator.headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "object": "tenant_fees",
        "tenant_id": chargeable_tenant.handle.id,
        "currencies": [
            {
                "currency": "EUR",
                "payments": 2,
                "amount_received": 15_000,
                "application_fees": 450,
                "application_fees_refunded": 150,
                "net": 300,
            },
            {
                "currency": "JPY",
                "payments": 1,
                "amount_received": 3_000,
                "application_fees": 90,
                "application_fees_refunded": 0,
                "net": 90,
            },
        ],
    }


async def test_fees_need_an_operator_and_a_known_tenant(
    orders_client: httpx.AsyncClient, make_tenant: MakeTenant, operator: OperatorHandle
) -> None:
    tenant = await make_tenant()
    empty = await orders_client.get(f"/platform/v1/tenants/{tenant.id}/billing/fees", headers=operator.headers)
    assert empty.status_code == 200
    assert empty.json()["currencies"] == []
    unknown = await orders_client.get(f"/platform/v1/tenants/{uuid.uuid4()}/billing/fees", headers=operator.headers)
    assert unknown.status_code == 404
    staff = await orders_client.get(f"/platform/v1/tenants/{tenant.id}/billing/fees", headers=tenant.headers)
    assert staff.status_code == 401
