"""The accounts resource: models, schemas, api."""
