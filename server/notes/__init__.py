"""The notes resource: models, schemas, api."""
