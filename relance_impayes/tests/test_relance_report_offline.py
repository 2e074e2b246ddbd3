import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.base.models import ir_actions_report

from .common import RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceReportOffline(RelanceCommon):
    """Our PDFs never fetch their stylesheet from the server: it may be the printer."""

    def _listener(self):
        """A local port that counts the connections made to it, closing them at once."""
        server = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(server.close)
        hits = []

        def serve():
            while True:
                try:
                    conn, _addr = server.accept()
                except OSError:
                    return
                hits.append(conn.getpeername())
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}", hits

    def _render_spied(self, report, records):
        """Render for real; return the PDF, what wkhtmltopdf was given and answered."""
        seen = []
        real = ir_actions_report._run_wkhtmltopdf

        def spy(args):
            html = [Path(a).read_text(encoding="utf-8") for a in args if a.endswith(".html")]
            process = real(args)
            seen.append({"args": args, "html": html, "returncode": process.returncode})
            return process

        with patch.object(ir_actions_report, "_run_wkhtmltopdf", spy):
            pdf, _fmt = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report, records.ids)
            )
        self.assertEqual(len(seen), 1)
        return pdf, seen[0]

    def test_statement_is_styled_without_a_request_to_the_server(self):
        url, hits = self._listener()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", url)
        params.set_param("report.url", url)
        invoice = self._relance_invoice(self.customer, 1200, days_late=40)

        pdf, call = self._render_spied("relance_impayes.action_report_releve_compte", self.customer)

        self.assertEqual(hits, [], "wkhtmltopdf connected to report.url")
        self.assertEqual(call["returncode"], 0, "wkhtmltopdf reported a missing resource")
        delay = call["args"][call["args"].index("--javascript-delay") + 1]
        self.assertEqual(delay, "0", "nothing to wait for: no print delay (not wkhtmltopdf's default 200 ms)")
        self.assertIn("--allow", call["args"])
        body = call["html"][-1]
        self.assertNotIn("<base", body)
        self.assertNotIn('rel="stylesheet"', body)
        self.assertIn(".o_report_layout_", body, "the compiled report CSS is inline")
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", handle.name, "-"],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        self.assertIn(invoice.name, text, "the letter is text, not curves")

    def test_other_reports_keep_the_configured_print_delay(self):
        self.env["ir.config_parameter"].sudo().set_param("report.print_delay", "1234")
        args = self.env["ir.actions.report"]._build_wkhtmltopdf_args(self.company.paperformat_id, False)
        self.assertEqual(args[args.index("--javascript-delay") + 1], "1234")
