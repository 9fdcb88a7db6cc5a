"""The contacts resource: models, schemas, api."""
