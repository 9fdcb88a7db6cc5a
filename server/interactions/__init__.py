"""The interactions resource: models, schemas, api."""
