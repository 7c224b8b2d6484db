"""Factories that create real documents in the test database."""
