"""HTTP layer: parse input, resolve the user, call one service function, shape the response."""
