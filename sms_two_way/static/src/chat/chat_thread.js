import {
  Component,
  onMounted,
  onWillStart,
  onWillUnmount,
  useEffect,
  useRef,
  useState,
} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {deserializeDateTime, serializeDateTime} from "@web/core/l10n/dates";
import {registry} from "@web/core/registry";
import {useFileViewer} from "@web/core/file_viewer/file_viewer_hook";
import {useService} from "@web/core/utils/hooks";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";
import {countSegments} from "./sms_segments";

const {DateTime} = luxon;

const STATE_ICONS = {
  outgoing: "fa-clock-o",
  unknown: "fa-question-circle",
  queued: "fa-check",
  sent: "fa-check",
  delivered: "fa-check-circle",
  undelivered: "fa-exclamation-triangle",
  failed: "fa-exclamation-triangle",
  error: "fa-exclamation-triangle",
};
const CANNED_RE = /::(\S*)$/;

/**
 * The SMS conversation as a chat: the customer on the left, us on the right,
 * grouped by day, with delivery states, automatic replies marked, MMS media
 * opening in Odoo's file viewer; a composer with the segment counter below.
 * Inbound replies appear live through the `sms_two_way/inbound` bus
 * notification.
 */
export class SmsChatThread extends Component {
  static template = "sms_two_way.ChatThread";
  static props = {...standardWidgetProps};

  setup() {
    this.orm = useService("orm");
    this.busService = useService("bus_service");
    this.notification = useService("notification");
    this.http = useService("http");
    this.fileViewer = useFileViewer();
    this.listRef = useRef("list");
    this.inputRef = useRef("input");
    this.state = useState({
      messages: [],
      info: null,
      canned: [],
      body: "",
      attachments: [],
      sending: false,
      showLater: false,
      later: "",
    });
    this.onInbound = this.onInbound.bind(this);
    onWillStart(() => this.load(true));
    onMounted(() => this.busService.subscribe("sms_two_way/inbound", this.onInbound));
    onWillUnmount(() =>
      this.busService.unsubscribe("sms_two_way/inbound", this.onInbound)
    );
    useEffect(
      (draft) => {
        if (draft) {
          this.state.body = draft; // e.g. a suggested reply the rep chose to edit and send
        }
      },
      () => [this.props.record.data.reply_body]
    );
    useEffect(
      () => {
        const list = this.listRef.el;
        if (list) {
          list.scrollTop = list.scrollHeight;
        }
      },
      () => [this.state.messages.length]
    );
  }

  get resId() {
    return this.props.record.resId;
  }

  async load(withComposer = false) {
    if (!this.resId) {
      return;
    }
    const calls = [
      this.orm.call("sms.conversation", "get_chat_thread", [[this.resId]]),
    ];
    if (withComposer) {
      calls.push(
        this.orm.call("sms.conversation", "get_composer_info", [[this.resId]]),
        this.orm.searchRead("mail.canned.response", [], ["source", "substitution"])
      );
    }
    const [thread, info, canned] = await Promise.all(calls);
    this.state.messages = thread.messages;
    if (withComposer) {
      this.state.info = info;
      this.state.canned = canned;
    }
    if (thread.unread_count) {
      await this.orm.call("sms.conversation", "action_mark_seen", [[this.resId]]);
    }
  }

  async onInbound(payload) {
    if (payload.conversation_id === this.resId) {
      await this.load();
      await this.props.record.load();
    }
  }

  // ------------------------------------------------------------ thread
  get days() {
    const days = [];
    const today = DateTime.local().startOf("day");
    for (const message of this.state.messages) {
      const date = deserializeDateTime(message.date);
      const key = date.toISODate();
      if (!days.length || days.at(-1).key !== key) {
        const diff = today.diff(date.startOf("day"), "days").days;
        const label =
          diff === 0
            ? _t("Today")
            : diff === 1
              ? _t("Yesterday")
              : date.toLocaleString(DateTime.DATE_FULL);
        days.push({key, label, messages: []});
      }
      days
        .at(-1)
        .messages.push({...message, time: date.toLocaleString(DateTime.TIME_SIMPLE)});
    }
    return days;
  }

  stateIcon(message) {
    return STATE_ICONS[message.state] || "fa-circle-o";
  }

  isFailure(message) {
    return ["undelivered", "failed", "error"].includes(message.state);
  }

  openAttachment(attachment, message) {
    const files = message.attachments.map((a) => this.toFile(a));
    this.fileViewer.open(files[message.attachments.indexOf(attachment)], files);
  }

  toFile(attachment) {
    const isImage = (attachment.mimetype || "").startsWith("image/");
    return {
      id: attachment.id,
      name: attachment.name,
      displayName: attachment.name,
      mimetype: attachment.mimetype,
      isImage,
      isPdf: attachment.mimetype === "application/pdf",
      isViewable: isImage || attachment.mimetype === "application/pdf",
      defaultSource: isImage
        ? `/web/image/${attachment.id}`
        : `/web/content/${attachment.id}`,
      downloadUrl: `/web/content/${attachment.id}?download=true`,
    };
  }

  // ------------------------------------------------------------ composer
  get rendered() {
    const name = this.state.info?.name || "";
    return this.state.body.replaceAll("{name}", name);
  }

  get counter() {
    if (!this.state.info) {
      return null;
    }
    return countSegments(this.rendered, this.state.info);
  }

  /** The character forcing UCS-2 with its code point: a tab or a curly quote is hard to spot. */
  get ucs2Label() {
    const ch = this.counter?.ucs2Char;
    return ch
      ? `${ch.trim() ? ch + " " : ""}(U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")})`
      : "";
  }

  get cannedSuggestions() {
    const match = this.state.body.match(CANNED_RE);
    if (!match) {
      return [];
    }
    const typed = match[1].toLowerCase();
    return this.state.canned
      .filter((c) => c.source.toLowerCase().startsWith(typed))
      .slice(0, 8);
  }

  insertCanned(canned) {
    this.state.body = this.state.body.replace(CANNED_RE, canned.substitution);
    this.inputRef.el?.focus();
  }

  async onFileChange(ev) {
    const files = [...ev.target.files];
    if (!files.length) {
      return;
    }
    const response = await this.http.post(
      "/web/binary/upload_attachment",
      {
        csrf_token: odoo.csrf_token,
        ufile: files,
        model: "sms.conversation",
        id: this.resId,
      },
      "text"
    );
    ev.target.value = "";
    for (const uploaded of JSON.parse(response)) {
      if (uploaded.error) {
        this.notification.add(uploaded.error, {type: "danger"});
      } else {
        this.state.attachments.push({
          id: uploaded.id,
          name: uploaded.filename,
          mimetype: uploaded.mimetype,
        });
      }
    }
  }

  removeAttachment(attachment) {
    this.state.attachments = this.state.attachments.filter(
      (a) => a.id !== attachment.id
    );
  }

  get canSend() {
    return (
      !this.state.sending && (this.state.body.trim() || this.state.attachments.length)
    );
  }

  onKeydown(ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      this.send();
    }
  }

  toggleLater() {
    this.state.showLater = !this.state.showLater;
    if (this.state.showLater && !this.state.later) {
      const from = this.state.info?.allowed_from
        ? deserializeDateTime(this.state.info.allowed_from)
        : DateTime.local().plus({hours: 1}).startOf("hour");
      this.state.later = from.toFormat("yyyy-MM-dd'T'HH:mm");
    }
  }

  async send(later = false) {
    const body = this.state.body.trim();
    if (!this.canSend) {
      return;
    }
    const sendAfter =
      later && this.state.later
        ? serializeDateTime(DateTime.fromISO(this.state.later))
        : false;
    this.state.sending = true;
    try {
      if (await this.props.record.isDirty()) {
        await this.props.record.save(); // the reload below must not drop the rep's edits
      }
      const thread = await this.orm.call(
        "sms.conversation",
        "send_chat_reply",
        [[this.resId], body],
        {
          send_after: sendAfter,
          attachment_ids: this.state.attachments.map((a) => a.id),
        }
      );
      this.state.messages = thread.messages;
      this.state.body = "";
      this.state.attachments = [];
      this.state.showLater = false;
      if (sendAfter) {
        this.notification.add(
          _t("Scheduled: the text waits in the queue until then."),
          {type: "info"}
        );
      }
      await this.props.record.load();
    } finally {
      this.state.sending = false;
    }
  }
}

registry.category("view_widgets").add("sms_chat_thread", {component: SmsChatThread});
