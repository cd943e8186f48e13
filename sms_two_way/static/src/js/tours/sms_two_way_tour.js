import {registry} from "@web/core/registry";

const PHONE = ".o_sms_simulator_phone[data-number='+32470123456']";

/**
 * A sales rep texts a contact from its form, the customer answers from the
 * simulated phone, and the answer shows up on the contact.
 */
registry.category("web_tour.tours").add("sms_two_way_tour", {
  steps: () => [
    {
      content: "Open the contact's SMS conversation",
      trigger: "button[name=action_open_sms_conversation]",
      run: "click",
    },
    {
      content: "Type a text",
      trigger: "div[name=reply_body] textarea",
      run: "edit Can we meet on Tuesday?",
    },
    {
      content: "Send it",
      trigger: "button[name=action_send_reply]",
      run: "click",
    },
    {
      content: "The text is in the conversation",
      trigger: "div[name=message_line_ids] td:contains('Can we meet on Tuesday?')",
    },
    {
      content: "Go to the simulated phones",
      trigger: "body",
      run: () => {
        window.location.href = "/sms_two_way/simulator";
      },
      expectUnloadPage: true,
    },
    {
      content: "The phone received the text",
      trigger: `${PHONE} .o_sms_simulator_outbound:contains('Can we meet on Tuesday?')`,
    },
    {
      content: "Reply as the customer",
      trigger: `${PHONE} input[name=body]`,
      run: "edit Tuesday works <b>for me</b>",
    },
    {
      content: "Send the reply",
      trigger: `${PHONE} .o_sms_simulator_send`,
      run: "click",
      expectUnloadPage: true,
    },
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
  ],
});
