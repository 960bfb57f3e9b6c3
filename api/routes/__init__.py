"""Route modules; each exports OPERATIONS, a list of `api.spec.Operation`."""
