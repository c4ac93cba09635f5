"""Reads that span directories on purpose (comparison, the overview of all directories).

Every ORM query is scoped to the current directory by default (models/scoping.py); the
statements passed through `across` name their directories themselves.
"""

from models.scoping import ALL_DIRECTORIES


def across(stmt):
    """`stmt`, exempt from the current directory's automatic scoping."""
    return stmt.execution_options(**ALL_DIRECTORIES)
