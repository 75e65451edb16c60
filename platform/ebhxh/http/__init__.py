"""HTTP plumbing shared by every domain's controllers: dependencies and OpenAPI setup."""
