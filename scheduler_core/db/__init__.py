"""Database engine, sessions (the unit of work), migrations and the metadata of every table."""
