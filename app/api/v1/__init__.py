"""Routers of the ``/api/v1`` surface, one module per area."""
