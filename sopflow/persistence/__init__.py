"""Persistence: the SQLAlchemy tables, the database handle, the row helpers, the Alembic migrations.

Public surface: :class:`sopflow.persistence.db.Database` (sessions, transactions, schema
upgrade, ``ping``), the tables of :mod:`models`, and :mod:`store` (row look-ups the engine
shares). Only the engine, the queries and the CLI use it; the web app goes through them.
"""
