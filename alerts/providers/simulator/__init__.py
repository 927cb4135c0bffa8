"""The built-in simulator: every message lands in an inbox kept in the database."""
