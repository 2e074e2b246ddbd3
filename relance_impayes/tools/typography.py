"""French typography of letters (LEGAL_FR §11): plain Python, no ORM."""

from babel.dates import format_date as babel_format_date

NBSP = "\N{NO-BREAK SPACE}"


def format_date_long(value, lang="en_US"):
    """A date written out as in a letter: "1er décembre 2026", "15 juillet 2025",
    "December 1, 2026". French writes the first day of a month as an ordinal ("1er")."""
    if not value:
        return ""
    locale = (lang or "en_US").replace("-", "_")
    if locale.split("_")[0] == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {babel_format_date(value, 'MMMM y', locale=locale)}"
    return babel_format_date(value, "long", locale=locale)


def format_percent(number_text):
    """``"12,15"`` → ``"12,15 %"`` with a non-breaking space, in every language."""
    return f"{number_text}{NBSP}%"
