"""Request and response models: the single source of request validation and of the OpenAPI document."""
