import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/**
 * The accountant's daily flow on unpaid invoices, clicked as a user would.
 * Data prepared by relance_impayes/tests/test_relance_tour.py:
 *  - "Tour Dupont SARL": an invoice overdue, due for the friendly reminder (in *To do*);
 *  - "Tour Martin SAS": a formal notice waiting in *To validate*;
 *  - "Tour Bernard SA": a collection call to make (in *Calls*).
 */
const RECEIVABLES = "account.menu_finance_receivables";

function openReminderMenu(menuXmlid, menuText, screenTitle = menuText) {
    return [
        {
            content: "Open the Customers menu",
            trigger: `.o_menu_sections button[data-menu-xmlid='${RECEIVABLES}']`,
            run: "click",
        },
        {
            content: `Customers > Reminders > ${menuText}`,
            trigger: `.dropdown-menu_group:contains(Reminders) ~ .dropdown-item[data-menu-xmlid='${menuXmlid}']:contains(${menuText})`,
            run: "click",
        },
        {
            content: `Wait for the ${screenTitle} screen`,
            trigger: `.o_breadcrumb .o_last_breadcrumb_item:contains(${screenTitle})`,
        },
    ];
}

registry.category("web_tour.tours").add("relance_daily_flow_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),

        // 1. To do: the customers to remind today; open one and send it a reminder.
        ...openReminderMenu("relance_impayes.relance_menu_todo", "To do"),
        {
            content: "The formal notice customer is due too",
            trigger: ".o_list_view .o_data_row:contains(Tour Martin SAS)",
        },
        {
            content: "Open the customer Tour Dupont SARL",
            trigger: ".o_list_view .o_data_row:contains(Tour Dupont SARL) td.o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "Open the customer's Reminders page",
            trigger: ".o_form_view .o_notebook a.nav-link[name=relance]",
            run: "click",
        },
        {
            content: "Send reminder",
            trigger: ".o_form_view .tab-pane.active button[name=action_relance_send]",
            run: "click",
        },
        {
            content: "The wizard proposes the level due",
            trigger: ".modal .o_field_widget[name=level_id] input:value(Friendly reminder)",
        },
        {
            content: "The wizard lists the overdue invoice",
            trigger: ".modal .o_field_widget[name=move_ids] .o_data_row",
        },
        {
            content: "Preview",
            trigger: ".modal .modal-footer button[name=action_prepare]",
            run: "click",
        },
        {
            content: "The reminder form opens, to send",
            trigger: "body:not(:has(.modal)) .o_form_view .o_statusbar_status .o_arrow_button_current[data-value=draft]",
        },
        {
            content: "It is the customer's reminder",
            trigger: ".o_form_view .oe_title .o_field_widget[name=partner_id]:contains(Tour Dupont SARL)",
        },
        {
            content: "Look at the email",
            trigger: ".o_form_view .o_notebook a.nav-link[name=email]",
            run: "click",
        },
        {
            content: "The email is rendered for the customer",
            trigger: ".o_form_view .o_field_widget[name=body_html]:contains(Dear Sir or Madam)",
        },
        {
            content: "Send now",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_send_now]",
            run: "click",
        },
        {
            content: "The reminder is on its way (mail queue)",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value=sending]",
        },

        // 2. To validate: a formal notice waiting for a person.
        ...openReminderMenu("relance_impayes.relance_communication_menu_to_validate", "To validate"),
        {
            content: "Open the formal notice of Tour Martin SAS",
            trigger: ".o_list_view .o_data_row:contains(Tour Martin SAS):contains(Formal notice) td.o_data_cell[name=partner_id]",
            run: "click",
        },
        {
            content: "It waits for validation",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value=to_validate]",
        },
        {
            content: "Validate and send",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_validate]",
            run: "click",
        },
        {
            content: "The formal notice is sent",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value=sent]",
        },
        {
            content: "Its history shows the registered letter",
            trigger: ".o_form_view .o_notebook a.nav-link[name=history]",
            run: "click",
        },
        {
            content: "Registered letter recorded",
            trigger: ".o_form_view .o_field_widget[name=interaction_ids] .o_data_row:contains(Registered letter)",
        },

        // 3. Calls: log the outcome of a collection call.
        ...openReminderMenu("relance_impayes.relance_menu_calls", "Calls"),
        {
            content: "Log the outcome of the call to Tour Bernard SA",
            trigger: ".o_list_view .o_data_row:contains(Tour Bernard SA) button[name=action_relance_log_call]",
            run: "click",
        },
        {
            content: "The call wizard is about the customer",
            trigger: ".modal .o_field_widget[name=partner_id]:contains(Tour Bernard SA)",
        },
        {
            content: "No answer",
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=no_answer]",
            run: "click",
        },
        {
            content: "Log",
            trigger: ".modal .modal-footer button[name=action_log]",
            run: "click",
        },
        {
            content: "No answer: a call back is planned",
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row:contains(Tour Bernard SA):contains('Call back (No answer)')",
        },

        // 4. History: the proof of the day's exchanges.
        ...openReminderMenu("relance_impayes.relance_interaction_menu", "History", "Reminder history"),
        {
            content: "The registered letter of the formal notice is in the history",
            trigger: ".o_list_view .o_data_row:contains(Tour Martin SAS):contains(Registered letter)",
        },
        {
            content: "The call is in the history",
            trigger: ".o_list_view .o_data_row:contains(Tour Bernard SA):contains(Phone call):contains(No answer)",
        },
    ],
});
