"""Flags carried by a ``ContextVar`` for the length of a ``with`` block.

A flag that no client can set (unlike a context key) and that ends with the block, also when it
raises: the penalty wizard's right to write penalty lines, the emails' one-compilation rendering.
"""

from contextlib import contextmanager


@contextmanager
def flag_set(var, value=True):
    """Set ``var`` to ``value`` inside the block, back to what it was after."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)
