"""The customfields resource: models, schemas, api."""
