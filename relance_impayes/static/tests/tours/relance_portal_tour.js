import { registry } from "@web/core/registry";

/**
 * A customer follows the link of a reminder (signed token, no login): reads its statement and
 * downloads it, downloads a letter, promises to pay the overdue invoices, disputes the one not yet
 * due. Data and checks: relance_impayes/tests/test_relance_portal.py (TestRelancePortalTour).
 */
async function download(anchor) {
    const response = await fetch(anchor.getAttribute("href"));
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.includes("application/pdf")) {
        throw new Error(`Download failed: ${anchor.getAttribute("href")} (${response.status} ${type})`);
    }
}

function isoDate(days) {
    const date = new Date();
    date.setDate(date.getDate() + days);
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function setValue(value) {
    return function () {
        this.anchor.value = value;
        this.anchor.dispatchEvent(new Event("input", { bubbles: true }));
        this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

registry.category("web_tour.tours").add("relance_portal_tour", {
    steps: () => [
        {
            content: "The statement shows the invoices still due and the total",
            trigger: ".o_relance_invoices tr[data-move-name] + tr[data-move-name]",
        },
        {
            content: "Download the statement",
            trigger: "a.o_relance_statement",
            run: function () {
                return download(this.anchor);
            },
        },
        {
            content: "Open the letters",
            trigger: "a.nav-link[href^='/my/relance/letters']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Download the letter received",
            trigger: "a.o_relance_letter",
            run: function () {
                return download(this.anchor);
            },
        },
        {
            content: "Open Promise to pay",
            trigger: "a.nav-link[href^='/my/relance/promise']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Leave out the invoice not yet due (the last one)",
            trigger: ".o_relance_promise_form tr[data-move-name]:last-child input.o_relance_move",
            run: "click",
        },
        {
            content: "Pay in a week",
            trigger: ".o_relance_promise_form input[name='date']",
            run: setValue(isoDate(7)),
        },
        {
            content: "The amount",
            trigger: ".o_relance_promise_form input[name='amount']",
            run: "edit 1500",
        },
        {
            content: "Send the promise",
            trigger: ".o_relance_promise_form button.o_relance_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The promise is recorded",
            trigger: ".o_relance_done",
        },
        {
            content: "Open Dispute an invoice",
            trigger: "a.nav-link[href^='/my/relance/dispute']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose the invoice not yet due (the last one)",
            trigger: ".o_relance_dispute_form select[name='move_id']",
            run: function () {
                const options = this.anchor.querySelectorAll("option");
                this.anchor.value = options[options.length - 1].value;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Say what is wrong",
            trigger: ".o_relance_dispute_form textarea[name='message']",
            run: "edit Prestation non réalisée",
        },
        {
            content: "Send the dispute",
            trigger: ".o_relance_dispute_form button.o_relance_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The dispute is recorded",
            trigger: ".o_relance_done",
        },
    ],
});
