"""Fixtures of the hardening tests: the two-enterprise world, and the migration-loaded data transactional
tests need back after a flush."""

from tests.registry.conftest import migration_data  # noqa: F401  (fixture re-exported for these tests)
