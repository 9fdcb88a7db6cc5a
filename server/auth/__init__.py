"""The auth resource: models, schemas, api."""
