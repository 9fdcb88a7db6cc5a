"""The opportunities resource: models, schemas, api."""
