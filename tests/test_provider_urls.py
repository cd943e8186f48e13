"""Credentials only go to the provider's API root over HTTPS (loopback HTTP when allowed)."""

import pytest

from sms_two_way.core.provider_urls import (
    credential_url_problem,
    is_loopback_host,
    media_url_problem,
)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [None, "", "10.0.0.1", "169.254.169.254", "evil.example", "127.0.0.1.evil.example"],
)
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback_host(host)


def test_https_is_accepted():
    assert credential_url_problem("https://api.twilio.com") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com",
        "http://attacker.example",
        "ftp://api.twilio.com",
        "api.twilio.com",
        "",
        None,
        "https://user:pw@api.twilio.com",
        "https://",
        "https://api.twilio.com:notaport",
    ],
)
def test_insecure_or_malformed_urls_are_refused(url):
    assert credential_url_problem(url) is not None


def test_loopback_http_only_when_allowed():
    assert credential_url_problem("http://127.0.0.1:8123") is not None
    assert (
        credential_url_problem("http://127.0.0.1:8123", allow_loopback_http=True)
        is None
    )
    assert (
        credential_url_problem("http://10.1.2.3", allow_loopback_http=True) is not None
    )


@pytest.mark.parametrize(
    "url, problem",
    [
        ("https://api.twilio.com/2010-04-01/Media/ME1", False),
        (
            "http://api.twilio.com/2010-04-01/Media/ME1",
            True,
        ),  # same host, but the credentials would travel in clear
        ("https://api.twilio.com:8443/Media/ME1", True),
        ("https://media.evil.example/ME1", True),
    ],
)
def test_media_must_live_on_the_api_root(url, problem):
    assert (media_url_problem(url, "https://api.twilio.com") is not None) is problem
