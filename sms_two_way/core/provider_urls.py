"""Where a provider's credentials may be sent: plain Python, no Odoo import.

Every request carrying the account credentials (API calls, media downloads)
goes to the provider's API root over HTTPS.  Plain HTTP is accepted only for
a loopback host and only when the caller says so: the test suites talk to a
fake provider on 127.0.0.1, and credentials sent there never leave the
machine.
"""

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost"}


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credential_url_problem(
    url: str | None, allow_loopback_http: bool = False
) -> str | None:
    """Why credentials must not be sent to ``url``, or None when they may."""
    try:
        parts = urlsplit(url or "")
        # Reading .port raises ValueError on a malformed or out-of-range port.
        host, _port = parts.hostname, parts.port
    except ValueError:
        return "it is not a valid URL"
    if not host:
        return "it has no host"
    if parts.username or parts.password:
        return "it must not contain a user name or password"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_loopback_http and is_loopback_host(host):
        return None
    return "it must use https"


def media_url_problem(
    url: str | None, api_base_url: str, allow_loopback_http: bool = False
) -> str | None:
    """Why a media may not be downloaded with the credentials from ``url``, or None.

    The media must live on the API root's scheme, host and port: a media URL
    elsewhere would carry the credentials to a third party.
    """
    problem = credential_url_problem(url, allow_loopback_http)
    if problem:
        return problem
    media, api = urlsplit(url), urlsplit(api_base_url)
    if (media.scheme, media.hostname, media.port) != (
        api.scheme,
        api.hostname,
        api.port,
    ):
        return "it is not on the provider's API host"
    return None
