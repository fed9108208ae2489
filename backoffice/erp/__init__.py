"""Sending Orders/Offers to the ERP ("Invia al gestionale", invariant 6).

- `payload`: the versioned JSON document (schema in backoffice/schemas/erp-order-v1.schema.json).
- `services`: validate and queue an order (the outbox), deliver one attempt, re-send a failed
  send, sweep up transmissions whose task was lost.
- `transports`: the two ways to the ERP, chosen by ERP_TRANSMISSION: `file` and `http`.
- the stand-in ERP for demos and tests is `devtools.stand_in_erp` (`manage.py fake_erp`).
"""
