import { registry } from "@web/core/registry";

/**
 * From a reminder link, the customer pays two of its invoices through Odoo's demo provider.
 * Data and checks: test_relance_impayes_payment/tests/test_relance_portal_payment.py.
 */
registry.category("web_tour.tours").add("relance_portal_pay_tour", {
    steps: () => [
        {
            content: "Open Pay",
            trigger: "a.nav-link[href^='/my/relance/pay']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Leave out the invoice not yet due (the last one)",
            trigger: ".o_relance_pay_choice tr[data-move-name]:last-child input.o_relance_move",
            run: "click",
        },
        {
            content: "Pay the selected invoices",
            trigger: ".o_relance_pay_choice button.o_relance_pay_selected",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount of the two invoices",
            trigger: ".o_relance_pay_amount:contains('1,500.00')",
        },
        {
            content: "Choose the demo provider",
            trigger: "input[name='o_payment_radio'][data-payment-method-code='demo']",
            run: "click",
        },
        {
            content: "Card number (test data)",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the account: the invoices paid are gone from what is due",
            trigger: ".o_relance_total_due:contains('300.00')",
            timeout: 20000,
        },
    ],
});
