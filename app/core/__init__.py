"""Cross-cutting building blocks: settings, errors, logging, security, database, limits, locks."""
