"""Home monitoring services, one module per concern: devices, ingest, assessment (scoring task), alerts, plans."""
