import {registry} from "@web/core/registry";

/**
 * A manager tries a question against the FAQ, then opens the automation rate.
 */
registry.category("web_tour.tours").add("sms_faq_tour", {
  steps: () => [
    {
      content: "The FAQ entry is listed",
      trigger: ".o_list_view td:contains('What are your opening hours?')",
    },
    {
      content: "Open the question tester",
      trigger: "button[name=action_open_tester]",
      run: "click",
    },
    {
      content: "Type a question the way customers text it",
      trigger: ".modal div[name=text] input",
      run: "edit wat time u open sunday",
    },
    {
      content: "Leave the field: the box recomputes",
      trigger: ".modal .modal-title",
      run: "click",
    },
    {
      content: "The tester names the entry that would answer",
      trigger: ".modal div[name=faq_id]:contains('What are your opening hours?')",
    },
    {
      content: "...and says it would be answered automatically",
      trigger: ".modal div[name=result]:contains('answered automatically')",
    },
    {
      content: "Close the tester",
      trigger: ".modal button.btn-secondary:contains('Close')",
      run: "click",
    },
    {
      content: "Open the automation rate",
      trigger: "body",
      run: () => {
        window.location.href =
          "/odoo/action-sms_two_way.sms_reply_report_action?view_type=pivot";
      },
      expectUnloadPage: true,
    },
    {
      content: "The pivot counts the FAQ answer",
      trigger: ".o_pivot th:contains('FAQ answer')",
    },
  ],
});
