from odoo.http import Controller, request, route


class SmsTwoWaySimulatorController(Controller):
    """Simulated handsets for the built-in simulator gateways.

    The page shows, per customer number, what Odoo texted it; typing a reply
    there feeds the same inbound pipeline as a provider webhook, the logged-in
    session and its CSRF token standing in for the provider's signature.
    """

    @route("/sms_two_way/simulator", type="http", auth="user", methods=["GET"])
    def sms_two_way_simulator(self, gateway_id=None, error=None, **_kwargs):
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
        gateway = self._get_gateways().filtered(lambda g: str(g.id) == str(gateway_id))[
            :1
        ]
        redirect = f"/sms_two_way/simulator?gateway_id={gateway.id or ''}"
        number = gateway._normalize_number(number) if gateway else None
        if not gateway or not number or not (body or "").strip():
            return request.redirect(
                redirect
                + "&error="
                + request.env._("Choose a valid phone number and type a message.")
            )
        provider = gateway._get_provider()
        payload = provider._parse_inbound(
            gateway, provider._new_inbound_params(number, body)
        )
        gateway.sudo()._receive_inbound(payload)
        return request.redirect(redirect)

    def _get_gateways(self):
        if not request.env.user.has_group("sms_two_way.group_sms_user"):
            return request.env["sms.gateway"]
        return request.env["sms.gateway"].search([("provider", "=", "simulator")])

    def _mark_displayed_as_delivered(self, gateway, conversations):
        shown = conversations.message_line_ids.filtered(
            lambda m: m.direction == "outbound" and m.state in ("queued", "sent")
        )
        for message in shown.sudo():
            gateway.sudo()._receive_status(
                {"provider_sid": message.provider_sid, "status": "delivered"}
            )
