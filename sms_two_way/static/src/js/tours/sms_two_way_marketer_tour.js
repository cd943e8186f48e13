import {registry} from "@web/core/registry";
import {goTo, replyFromPhone, withStepTimeout} from "./sms_two_way_tour_steps";

const NEW_PHONE = ".o_sms_simulator_new";
const PHONE = ".o_sms_simulator_phone[data-number='+32470556677']";

/**
 * The marketer's path: a "text JOIN RUN" campaign with double opt-in, tried
 * from a simulated phone, then a broadcast to its subscribers scheduled.
 */
registry.category("web_tour.tours").add("sms_two_way_marketer_tour", {
  steps: () =>
    withStepTimeout([
      {
        content: "New campaign",
        trigger: ".o_list_button_add",
        run: "click",
      },
      {
        content: "Name it",
        trigger: "div[name=name] input",
        run: "edit Run club",
      },
      {
        content: "People join by texting JOIN RUN",
        trigger: "div[name=join_keywords] input",
        run: "edit JOIN RUN",
      },
      {
        content: "Ask them to confirm",
        trigger: "div[name=double_opt_in] input",
        run: "click",
      },
      {
        content: "Save",
        trigger: ".o_form_button_save",
        run: "click",
      },
      {
        content: "The flow preview asks for a Y",
        trigger: ".o_form_saved div[name=preview_html]:contains('Reply Y')",
      },
      goTo("Try it from a simulated phone", "/sms_two_way/simulator"),
      {
        content: "A new phone number",
        trigger: `${NEW_PHONE} input[name=number]`,
        run: "edit +32 470 55 66 77",
      },
      {
        content: "texts the join keyword",
        trigger: `${NEW_PHONE} textarea[name=body]`,
        run: "edit join run",
      },
      {
        content: "Send",
        trigger: `${NEW_PHONE} button[type=submit]`,
        run: "click",
        expectUnloadPage: true,
      },
      {
        content: "The phone is asked to confirm",
        trigger: `${PHONE} .o_sms_simulator_outbound:contains('Reply Y')`,
      },
      ...replyFromPhone(PHONE, "Y"),
      {
        content: "Welcome to the club",
        trigger: `${PHONE} .o_sms_simulator_outbound:contains('Welcome to Run club')`,
      },
      goTo(
        "Go to the broadcasts",
        "/odoo/action-sms_two_way.sms_campaign_broadcast_action"
      ),
      {
        content: "New broadcast",
        trigger: ".o_list_button_add, .o-kanban-button-new",
        run: "click",
      },
      {
        content: "Name it",
        trigger: "div[name=name] input",
        run: "edit Sunday long run",
      },
      {
        content: "To the Run club",
        trigger: "div[name=campaign_id] input",
        run: "edit Run club",
      },
      {
        content: "Pick the campaign",
        trigger: ".o-autocomplete--dropdown-item:contains('Run club')",
        run: "click",
      },
      {
        content: "The text",
        trigger: "div[name=body] textarea",
        run: "edit Long run on Sunday at 9am, see you there!",
      },
      {
        content: "Its size is shown",
        trigger: "div[name=body_segments]:contains('GSM-7')",
      },
      {
        content: "Schedule it",
        trigger: "button[name=action_schedule]",
        run: "click",
      },
      {
        content: "Scheduled",
        trigger:
          ".o_statusbar_status button.o_arrow_button_current:contains('Scheduled')",
      },
    ]),
});
