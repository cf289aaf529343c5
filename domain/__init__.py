"""Carepod's core: records, rules, measures and services in plain Python.

Nothing here imports Qt, SQLAlchemy or any other outer layer; storage/ maps
these classes and ui/ shows them.
"""
