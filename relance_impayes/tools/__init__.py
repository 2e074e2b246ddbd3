"""Plain-Python arithmetic of relance_impayes (no ORM import): unit-tested without a database."""
