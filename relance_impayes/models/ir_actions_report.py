"""Our letters render without any HTTP request to the Odoo server.

wkhtmltopdf normally fetches the report stylesheets (and the fonts they name) from
``report.url`` / ``web.base.url``, and waits ``report.print_delay`` for them. When that
URL is the server printing the report (a test server whose cursor the test holds, a
single-worker server, a proxy that wkhtmltopdf cannot reach), the PDF hangs or comes out
unstyled. For the reports of the relance_impayes modules, the compiled CSS is put inline
in the HTML, its fonts and images are read from the addons' static folders on disk
(wkhtmltopdf is allowed those folders only), the ``<base>`` pointing at the server is
removed, and the print delay is 0 (not wkhtmltopdf's default 200 ms).

With an unpatched-Qt wkhtmltopdf (Debian's), text set in a web font (``@font-face``) is
drawn as curves that nobody can search, copy or read back: those rules are dropped
there, so that the letters use the system fonts (Debian ``fonts-lato`` provides Lato)
and stay text. Other reports and the global ``report.print_delay`` are left alone.
"""

import re
from pathlib import Path

from odoo import api, models
from odoo.modules.module import get_module_path

from odoo.addons.base.models.ir_actions_report import _wkhtml

MODULE_PREFIX = "relance_impayes"
STYLESHEET_RE = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="/web/assets/([^"/]+)/([^"]+\.css)"[^>]*>')
BASE_RE = re.compile(r"<base\b[^>]*>")
# url("/web/static/fonts/./lato/Lato-Bol.ttf?#x") -> module web, path static/fonts/...
STATIC_URL_RE = re.compile(r"""url\((['"]?)/(\w+)/(static/[^'")?#]+)([^'")]*)\1\)""")
FONT_FACE_RE = re.compile(r"@font-face\s*\{[^}]*\}")
OFFLINE_KEY = "relance_offline_report_dirs"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _relance_is_ours(self):
        return bool(self) and self.report_name.split(".", 1)[0].startswith(MODULE_PREFIX)

    @api.model
    def _relance_inline_css(self, filename):
        """The CSS of the bundle named by ``/web/assets/<unique>/<filename>``."""
        name, rtl, _asset_type, autoprefix = self.env["ir.asset"]._parse_bundle_name(filename, False)
        bundle = self.env["ir.qweb"]._get_asset_bundle(name, css=True, js=False, rtl=rtl, autoprefix=autoprefix)
        css = bundle.css().sudo().raw.decode()
        return css if _wkhtml().is_patched_qt else FONT_FACE_RE.sub("", css)

    @api.model
    def _relance_localise_urls(self, css, static_dirs):
        """Point ``url(/<module>/static/...)`` at the file on disk; note its folder."""

        def local(match):
            quote, module, path, _suffix = match.groups()
            module_path = get_module_path(module, display_warning=False)
            target = Path(module_path, path) if module_path else None
            if not target or not target.is_file():
                return match[0]
            static_dirs.add(str(Path(module_path, "static")))
            return f"url({quote}{target.as_uri()}{quote})"

        return STATIC_URL_RE.sub(local, css)

    @api.model
    def _relance_offline_html(self, html, static_dirs, cache):
        if not html:
            return html

        def inline(match):
            filename = match[2]
            if filename not in cache:
                cache[filename] = self._relance_localise_urls(self._relance_inline_css(filename), static_dirs)
            return f"<style>{cache[filename]}</style>"

        return BASE_RE.sub("", STYLESHEET_RE.sub(inline, html))

    @api.model
    def _relance_offline_documents(self, bodies, header, footer, static_dirs):
        """``bodies, header, footer`` with their CSS inline and their files local; the folders
        wkhtmltopdf must be allowed to read are added to ``static_dirs``."""
        cache = {}
        return (
            [self._relance_offline_html(body, static_dirs, cache) for body in bodies],
            self._relance_offline_html(header, static_dirs, cache),
            self._relance_offline_html(footer, static_dirs, cache),
        )

    @api.model
    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        printer = self
        if (self._get_report(report_ref) if report_ref else self.browse())._relance_is_ours():
            static_dirs = set()
            bodies, header, footer = self._relance_offline_documents(bodies, header, footer, static_dirs)
            printer = self.with_context(**{OFFLINE_KEY: sorted(static_dirs)})
        return super(IrActionsReport, printer)._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )

    @api.model
    def _build_wkhtmltopdf_args(
        self,
        paperformat_id,
        landscape,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        args = super()._build_wkhtmltopdf_args(
            paperformat_id,
            landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        static_dirs = self.env.context.get(OFFLINE_KEY)
        if static_dirs is None:
            return args
        if "--javascript-delay" in args:  # nothing to wait for: everything is local
            # 0, not left out: wkhtmltopdf's own default waits 200 ms per document
            args[args.index("--javascript-delay") + 1] = "0"
        for folder in static_dirs:
            args += ["--allow", folder]
        return args
