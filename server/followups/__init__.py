"""The followups resource: models, schemas, api."""
