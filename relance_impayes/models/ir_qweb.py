"""One QWeb compilation per inline template while a batch of reminders is rendered.

``mail.render.mixin._render_template_qweb`` renders each record with
``ir.qweb._render(<etree element>, ...)``: an inline element has no view id, so Odoo compiles it
again for every record (``_generate_code_uncached``), which was most of the CPU of rendering a
batch of emails. While :func:`compiled_once` is active (the batched rendering of
``relance.communication._relance_prerender_groups``), the compiled functions of an element are
kept and reused for the next element with the same source *and* the same rendering context
(language, restricted-expressions mode…): the generated code is the same, so is the output.
Nothing is kept once the batch is rendered (an edited template is compiled again), nor outside.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from lxml import etree

from odoo import models

# {(source, context): result of ir.qweb._compile} while a batch is rendered; None otherwise
COMPILED = ContextVar("relance_qweb_compiled", default=None)


@contextmanager
def compiled_once():
    """Within this block, an inline QWeb element is compiled once per source and context."""
    token = COMPILED.set({})
    try:
        yield
    finally:
        COMPILED.reset(token)


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        cache = COMPILED.get()
        if cache is None or not isinstance(template, etree._Element) or self.env.context.get("profile"):
            return super()._compile(template)
        # the key is taken before compiling: the compilation edits the element (t-name, text)
        context = self.env.context
        key = (
            etree.tostring(template, encoding="unicode"),
            tuple(
                sorted(
                    (name, repr(value)) for name, value in context.items() if not name.startswith(("__qweb", "_qweb"))
                )
            ),
        )
        if key not in cache:
            cache[key] = super()._compile(template)
        return cache[key]
