"""Read models for the screens: set-based queries that return plain rows, never sessions.

The UI calls these functions and never builds SQL itself.
"""
