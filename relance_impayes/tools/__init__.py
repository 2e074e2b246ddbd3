"""Plain Python with no ORM (arithmetic that tests check without a database)."""
