import {registry} from "@web/core/registry";

/**
 * Shows a customer's SMS reply on an open contact (or any record chatter)
 * as soon as it arrives: the server announces the thread that received it,
 * and a chatter that has that thread loaded fetches its new messages.  The
 * chat thread and the inbox views listen to the same notification, which
 * also carries the conversation id.
 */
export const smsTwoWayLiveService = {
  dependencies: ["bus_service", "mail.store"],
  start(env, {bus_service: busService, "mail.store": store}) {
    busService.subscribe("sms_two_way/inbound", ({model, id}) => {
      const thread = model && store.Thread.get({model, id});
      if (thread) {
        thread.fetchNewMessages();
      }
    });
  },
};

registry.category("services").add("sms_two_way.live", smsTwoWayLiveService);
