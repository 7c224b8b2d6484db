"""Socket.IO layer: connection auth from the cookie, room membership, payload models."""
