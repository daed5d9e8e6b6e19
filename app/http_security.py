"""HTTP-level protections of the whole app process: security headers, the client's address.

- Every response (panel, API, webhook, simulator, static files, aiohttp's own error pages) gets
  the same security headers, set in one ``on_response_prepare`` hook: a handler that sets its
  own value keeps it.
- :func:`client_address` is the address login throttling and the simulator's loopback rule use.
  ``X-Forwarded-For`` is believed only when the direct peer is one of ``TRUSTED_PROXIES``
  (addresses or CIDR networks, e.g. ``127.0.0.1`` for a reverse proxy on the same machine);
  otherwise anyone could pick the address they are throttled under. Default: no proxy trusted,
  the TCP peer is the client.
- :func:`is_local_request` is true only for a browser on this machine talking to the app
  directly: loopback client, loopback ``Host`` (no DNS-rebinding from a web page) and no
  forwarding header from an untrusted peer (a reverse proxy on the same machine that is not
  declared in ``TRUSTED_PROXIES`` does not make the world "local").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

from app.keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
        "bluetooth=(), display-capture=()"
    ),
}
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}

TRUSTED_NETS = web.AppKey("trusted_proxy_networks", tuple)


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` entries as networks; a bad entry stops the start-up with its name."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: not an address or network: {entry!r}") from None
    return tuple(nets)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, nets: tuple[Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in nets)


def _nets(request: web.Request) -> tuple[Network, ...]:
    nets = request.config_dict.get(TRUSTED_NETS)
    if nets is None:
        nets = parse_networks(request.config_dict[SETTINGS].trusted_proxies)
    return nets


def client_address(request: web.Request) -> str:
    """The client's IP: the TCP peer, or the X-Forwarded-For hop just before our trusted proxies.

    The header is read right to left, skipping trusted proxies; the first other hop is the client
    (hops to its left were written by the client itself and prove nothing).
    """
    peer = request.remote or ""
    nets = _nets(request)
    if not nets or not _trusted(peer, nets):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if _ip(hop) is None:
            return peer  # a garbled header: throttle the proxy's own address
        if not _trusted(hop, nets):
            return hop
    return hops[0] if hops else peer


def is_local_request(request: web.Request) -> bool:
    """A browser on this machine talking to the app directly (see the module docstring)."""
    peer = request.remote or ""
    forwarded = any(h in request.headers for h in _FORWARDING_HEADERS)
    if forwarded and not _trusted(peer, _nets(request)):
        return False
    ip = _ip(client_address(request))
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return ip is not None and ip.is_loopback and host.lower() in _LOCAL_HOSTS


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def setup(app: web.Application) -> None:
    """Check TRUSTED_PROXIES once and add the security headers to every response."""
    app[TRUSTED_NETS] = parse_networks(app[SETTINGS].trusted_proxies)
    app.on_response_prepare.append(_add_headers)


__all__ = ["SECURITY_HEADERS", "client_address", "is_local_request", "parse_networks", "setup"]
