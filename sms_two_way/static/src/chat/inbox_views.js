import {onMounted, onWillUnmount, useState} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {kanbanView} from "@web/views/kanban/kanban_view";
import {KanbanController} from "@web/views/kanban/kanban_controller";
import {listView} from "@web/views/list/list_view";
import {ListController} from "@web/views/list/list_controller";
import {SmsChatThread} from "./chat_thread";

/** Screens at least this wide show the inbox list and the selected thread side by side. */
const SPLIT_MIN_WIDTH = 1200;

/** Reload the inbox when a customer's SMS arrives, so the queue is always current. */
function useInboxLiveReload(model, onReloaded = () => {}) {
  const busService = useService("bus_service");
  const reload = async () => {
    await model.load();
    onReloaded();
  };
  onMounted(() => busService.subscribe("sms_two_way/inbound", reload));
  onWillUnmount(() => busService.unsubscribe("sms_two_way/inbound", reload));
}

/**
 * The inbox list; on wide screens, clicking a conversation opens its thread
 * on the right instead of leaving the list, so a rep works through the queue
 * without going back and forth.
 */
export class SmsInboxListController extends ListController {
  static template = "sms_two_way.InboxListView";
  static components = {...ListController.components, SmsChatThread};

  setup() {
    super.setup();
    this.split = useState({resId: false});
    useInboxLiveReload(this.model, () => {
      if (this.split.resId && !this.splitRecord) {
        this.split.resId = false;
      }
    });
  }

  get splitRecord() {
    return (
      this.split.resId &&
      this.model.root.records.find((r) => r.resId === this.split.resId)
    );
  }

  async openRecord(record, force = false) {
    if (
      this.env.isSmall ||
      window.innerWidth < SPLIT_MIN_WIDTH ||
      this.split.resId === record.resId
    ) {
      return super.openRecord(record, force);
    }
    this.split.resId = record.resId;
  }

  openSplitRecord() {
    return super.openRecord(this.splitRecord);
  }
}

export class SmsInboxKanbanController extends KanbanController {
  setup() {
    super.setup();
    useInboxLiveReload(this.model);
  }
}

registry
  .category("views")
  .add("sms_inbox_list", {...listView, Controller: SmsInboxListController});
registry
  .category("views")
  .add("sms_inbox_kanban", {...kanbanView, Controller: SmsInboxKanbanController});
