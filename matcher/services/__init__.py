"""The services around the engine, each with its own tables and queries."""
