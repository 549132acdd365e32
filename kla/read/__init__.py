"""Reading the artifact: the one read-only connection and every named query (``sql/*.sql``)."""
