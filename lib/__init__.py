"""Floorline: everything but the page layout lives here, importable without a running app."""
