"""Helpers shared by the web entry points (back office now; H5 pages and API later)."""
