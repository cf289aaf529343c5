"""Carepod's storage: SQLAlchemy tables and mapping, sessions, repositories,
migrations and importers. Implements what domain services need."""
