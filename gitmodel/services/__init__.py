"""Use cases: one module each, plain functions over the storage and git ports."""
