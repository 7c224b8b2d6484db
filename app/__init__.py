"""Videodesk backend: one ASGI service for the HTTP API, Socket.IO signaling and media storage."""
