"""The orders resource: models, schemas, api."""
