import {registry} from "@web/core/registry";
import {goTo, replyFromPhone, withStepTimeout} from "./sms_two_way_tour_steps";

const PHONE = ".o_sms_simulator_phone[data-number='+32470123456']";
const CURRENT_STATE = ".o_statusbar_status button.o_arrow_button_current";

/**
 * The sales rep's path: text a contact from its form in the chat, the
 * customer answers from the simulated phone, the answer is on the contact
 * and in the inbox, where the rep answers (Ctrl+Enter) in the split view and
 * marks it done.
 */
registry.category("web_tour.tours").add("sms_two_way_tour", {
  steps: () =>
    withStepTimeout([
      {
        content: "Open the contact's SMS conversation",
        trigger: "button[name=action_open_sms_conversation]",
        run: "click",
      },
      {
        content: "A lowercase ç does not fit GSM-7",
        trigger: ".o_sms_chat_input",
        run: "edit Hi {name}, ça va?",
      },
      {
        content: "The counter names the character that forces UCS-2",
        trigger: ".o_sms_chat_counter .o_sms_chat_ucs2:contains('ç (U+00E7)')",
      },
      {
        content: "Type a plain text with the name placeholder",
        trigger: ".o_sms_chat_input",
        run: "edit Can we meet on Tuesday, {name}?",
      },
      {
        content: "The counter shows one GSM-7 segment",
        trigger:
          ".o_sms_chat_counter:contains('1 segment'):contains('GSM-7'):not(:has(.o_sms_chat_ucs2))",
      },
      {
        content: "Send it",
        trigger: ".o_sms_chat_send",
        run: "click",
      },
      {
        content: "The text is in the thread, on our side, with the name filled in",
        trigger:
          ".o_sms_chat_outbound:contains('Can we meet on Tuesday, Alice Customer?')",
      },
      {
        content: "A person wrote last: waiting for the customer",
        trigger: `${CURRENT_STATE}:contains('Waiting for customer')`,
      },
      goTo("Go to the simulated phones", "/sms_two_way/simulator"),
      {
        content: "The phone received the text",
        trigger: `${PHONE} .o_sms_simulator_outbound:contains('Can we meet on Tuesday')`,
      },
      ...replyFromPhone(PHONE, "Tuesday works <b>for me</b>"),
      {
        content: "The reply left the phone",
        trigger: `${PHONE} .o_sms_simulator_inbound:contains('Tuesday works')`,
      },
      {
        content: "Back to the contact",
        trigger: `${PHONE} a.o_sms_simulator_contact`,
        run: "click",
        expectUnloadPage: true,
      },
      {
        content: "The reply is on the contact's chatter, as text",
        trigger: ".o-mail-Message-body:contains('Tuesday works <b>for me</b>')",
      },
      goTo("Open the SMS inbox", "/odoo/action-sms_two_way.sms_conversation_action"),
      {
        content: "The conversation needs a reply",
        trigger:
          ".o_data_row:contains('Alice Customer'):contains('Needs reply') td[name=name]",
        run: "click",
      },
      {
        content: "On a wide screen the thread opens next to the list",
        trigger:
          ".o_sms_inbox_thread .o_sms_chat_inbound:contains('Tuesday works <b>for me</b>')",
      },
      {
        content: "Answer",
        trigger: ".o_sms_inbox_thread .o_sms_chat_input",
        run: "edit Great, see you on Tuesday {name}!",
      },
      {
        content: "Ctrl+Enter sends",
        trigger: ".o_sms_inbox_thread .o_sms_chat_input",
        run: "press ctrl+Enter",
      },
      {
        content: "The answer is in the thread",
        trigger:
          ".o_sms_inbox_thread .o_sms_chat_outbound:contains('Great, see you on Tuesday Alice Customer!')",
      },
      {
        content: "The queue shows it answered",
        trigger:
          ".o_data_row:contains('Alice Customer'):contains('Waiting for customer')",
      },
      {
        content: "Open the whole conversation",
        trigger: ".o_sms_inbox_open",
        run: "click",
      },
      {
        content: "Answered: waiting for the customer",
        trigger: `${CURRENT_STATE}:contains('Waiting for customer')`,
      },
      {
        content: "Nothing more to wait for",
        trigger: "button[name=action_mark_done]",
        run: "click",
      },
      {
        content: "The conversation is done",
        trigger: `${CURRENT_STATE}:contains('Done')`,
      },
    ]),
});
