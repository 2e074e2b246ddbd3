"""Plain-Python arithmetic of the module: no ORM, no database, unit-tested from the root test suite."""
