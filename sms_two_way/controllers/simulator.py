from werkzeug.exceptions import Forbidden

from odoo import _
from odoo.http import Controller, request, route


class SmsTwoWaySimulatorController(Controller):
    """Simulated handsets for the built-in simulator gateways.

    The page shows, per customer number, what Odoo texted it; typing a reply
    there feeds the same inbound pipeline as a provider webhook, the logged-in
    session and its CSRF token standing in for the provider's signature.

    It is a test tool for administrators only: a simulated text is processed
    like a real one (a START lifts an opt-out and is written to the consent
    ledger), so it never accepts a number that talks to the company through a
    real gateway.
    """

    @route("/sms_two_way/simulator", type="http", auth="user", methods=["GET"])
    def sms_two_way_simulator(self, gateway_id=None, error=None, **_kwargs):
        self._check_administrator()
        gateways = self._get_gateways()
        gateway = (
            gateways.filtered(lambda g: str(g.id) == str(gateway_id))[:1]
            or gateways[:1]
        )
        conversations = (
            request.env["sms.conversation"].search(
                [("gateway_id", "=", gateway.id)],
                order="last_message_date desc, id desc",
                limit=20,
            )
            if gateway
            else []
        )
        if gateway:
            self._mark_displayed_as_delivered(gateway, conversations)
        return request.render(
            "sms_two_way.sms_simulator_page",
            {
                "gateways": gateways,
                "gateway": gateway,
                "conversations": conversations,
                "error": error,
            },
        )

    @route("/sms_two_way/simulator/reply", type="http", auth="user", methods=["POST"])
    def sms_two_way_simulator_reply(self, gateway_id, number, body, **_kwargs):
        self._check_administrator()
        gateway = self._get_gateways().filtered(lambda g: str(g.id) == str(gateway_id))[
            :1
        ]
        redirect = f"/sms_two_way/simulator?gateway_id={gateway.id or ''}"
        number = gateway._normalize_number(number) if gateway else None
        if not gateway or not number or not (body or "").strip():
            return request.redirect(
                redirect
                + "&error="
                + _("Choose a valid phone number and type a message.")
            )
        if self._is_real_customer_number(number):
            return request.redirect(
                redirect
                + "&error="
                + _(
                    "%s talks to you through a real gateway: the simulator cannot text as that number.",
                    number,
                )
            )
        provider = gateway._get_provider()
        payload = provider._parse_inbound(
            gateway, provider._new_inbound_params(number, body)
        )
        gateway._as_technical_user()._receive_inbound(payload)
        return request.redirect(redirect)

    @staticmethod
    def _check_administrator():
        if not request.env.user.has_group("base.group_system"):
            raise Forbidden(_("The SMS simulator is a test tool for administrators."))

    def _get_gateways(self):
        return request.env["sms.gateway"].search([("provider", "=", "simulator")])

    @staticmethod
    def _is_real_customer_number(number):
        """True when ``number`` has a conversation on a non-simulator gateway (of any company, active or not)."""
        return bool(
            request.env["sms.conversation"]
            .sudo()
            .with_context(active_test=False)
            .search_count(
                [("number", "=", number), ("gateway_id.provider", "!=", "simulator")],
                limit=1,
            )
        )

    def _mark_displayed_as_delivered(self, gateway, conversations):
        shown = conversations.message_line_ids.filtered(
            lambda m: m.direction == "outbound" and m.state in ("queued", "sent")
        )
        bot_gateway = gateway._as_technical_user()
        for message in shown:
            bot_gateway._receive_status(
                {"provider_sid": message.provider_sid, "status": "delivered"}
            )
