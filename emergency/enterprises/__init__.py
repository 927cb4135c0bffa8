"""Enterprises and their lists as staff see them: list imports under a role, and lookups within an area."""
