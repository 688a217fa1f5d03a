"""The one place that decides which address a request comes from; every rate limit and throttle keys on it.

`X-Forwarded-For` is written by whoever sent the request, so it is trusted only as far as the proxies we run:
with TRUSTED_PROXY_COUNT = N, each of our N proxies appended the address it saw, so the N-th entry from the right
is the client as our outermost proxy saw it; anything left of it may be forged and is ignored. With N = 0 (the
default: the app is reached directly) the header is ignored entirely and the socket address (REMOTE_ADDR) counts.

IPv6 clients are counted per /64: one subscriber usually holds a whole /64 and could otherwise rotate through
2^64 addresses, one per request.
"""

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def _normalised(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443" as some proxies write it
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234": an IPv4 address with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(request) -> str:
    """The client's address for counting (a string; an IPv6 client's /64 network), never taken from a header
    the client controls."""
    meta = request.META
    remote = _normalised(meta.get("REMOTE_ADDR") or "") or UNKNOWN
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    if len(hops) < trusted:
        # Fewer entries than proxies: the request did not come through all of them; the socket peer is the
        # only address nobody could have written.
        return remote
    return _normalised(hops[-trusted]) or remote
