"""One QWeb compilation per inline template while reminders' emails are rendered.

``mail.render.mixin._render_template_qweb`` renders each record with
``ir.qweb._render(<etree element>, ...)``: an inline element has no view id, so Odoo compiles it
again for every record (``_generate_code_uncached``), which was most of the CPU of rendering a
batch of emails. While :func:`compiled_once` is active (the batched rendering of
``relance.communication._relance_prerender_groups``), the compiled functions of an element are
kept and reused for the next element with the same source *and* the same rendering context
(language, restricted-expressions mode, user…): the generated code is the same, so is the output.
They are kept on the registry (a new registry, after a module update, compiles again), for the
64 most recent (source, context): from one batch to the next, and an edited template has a new
source. Outside :func:`compiled_once`, Odoo compiles as usual.
"""

from contextvars import ContextVar

from lxml import etree

from odoo import models
from odoo.tools.lru import LRU

from ..tools.context import flag_set

# whether the inline elements compiled now are kept (see compiled_once)
COMPILED = ContextVar("relance_qweb_compiled", default=False)
CACHE_SIZE = 64


def compiled_once():
    """Within this block, an inline QWeb element is compiled once per source and context."""
    return flag_set(COMPILED)


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        if not COMPILED.get() or not isinstance(template, etree._Element) or self.env.context.get("profile"):
            return super()._compile(template)
        # {(source, context): result of ir.qweb._compile}, on the registry: thread-safe, bounded
        cache = self.pool.__dict__.get("_relance_qweb_compiled")
        if cache is None:
            cache = self.pool.__dict__.setdefault("_relance_qweb_compiled", LRU(CACHE_SIZE))
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
        compiled = cache.get(key)
        if compiled is None:
            compiled = cache[key] = super()._compile(template)
        return compiled
