"""Adapters behind processing.ports: local files today; AWS services as they are built."""
