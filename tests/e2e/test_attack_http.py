"""An attacker's second look at the HTTP server (issue 13, items 5 and 6): framing that a proxy in
front could read differently from libmicrohttpd, and rate limits that one client could turn
against everyone else. Loopback only, bounded in requests and seconds."""
import pytest

from test_hostile_http import (Raw, folder, head, make_share, refused_before_body,  # noqa: F401
                               serve, sign_in)


# Framing: a header libmicrohttpd would not take for Content-Length or Transfer-Encoding, but a
# lenient proxy in front would, lets the proxy's body become the server's next request.


@pytest.mark.parametrize("lines", [
    ["Content-Length : 44"],
    ["Content-Length\t: 44"],
    ["Transfer-Encoding : chunked"],
], ids=["space-before-colon", "tab-before-colon", "te-space-before-colon"])
def test_whitespace_before_the_colon_is_400_and_closed(serve, lines):
    srv = serve()
    c = Raw(srv)
    try:
        # The "body" is a whole request for /metrics: it must never be answered.
        c.send(head("POST", "/credentials/verify", "Content-Type: application/json", *lines)
               + head("GET", "/metrics"))
        code, _, body, closed = c.answer()
    finally:
        c.close()
    assert code == 400 and closed, (code, body)
    assert b"oorkonde_http_requests_total" not in c.data, "the body was served as a request"


@pytest.mark.parametrize("coding", ["gzip", "identity", "gzip, chunked", "chunked, chunked"])
def test_a_transfer_coding_other_than_chunked_is_400_and_closed(serve, coding):
    srv = serve()
    refused_before_body(srv, head("POST", "/credentials/verify", "Content-Type: application/json",
                                  f"Transfer-Encoding: {coding}"), 400, "bad-framing")
