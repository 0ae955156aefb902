"""The sandbox payment provider: a pretend bank inside the portal (docs/payments-providers.md).

It has its own models (its checkouts, its transaction ledger = its statement, its notification deliveries), a hosted
checkout page at /sandbox-pay/<provider_reference>/ and signed notifications to the ledger's webhook, exactly like a
real provider, so every payment flow can be tried and tested end to end without real money.
"""
