"""Persistence: tables, the engine, repositories (which never commit) and migrations."""
