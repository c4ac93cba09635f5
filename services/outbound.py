"""Where Rollcall may send: the receivers that admins name (event subscriptions, the alert webhook).

A receiver URL makes Rollcall send requests from inside the network, and the delivery log
shows what answered: with an admin account taken over, it would map or reach internal
services (server-side request forgery). So by default a receiver must have public
addresses only. `OUTBOUND_ALLOW_NETWORKS` lists the networks (CIDRs, comma-separated)
where receivers may also live, e.g. "10.20.0.0/16, 127.0.0.1/32". Link-local addresses
(169.254.0.0/16: the cloud metadata service; fe80::/10) are never reachable.

A URL is checked when it is saved and again before each delivery, since its name may
resolve elsewhere by then. Redirects are never followed (services/events/delivery.py,
services/ops/delivery.py): they would take a signed message, and the check, elsewhere.
"""

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from services import config


class Refused(OSError):
    """A receiver Rollcall may not send to; an OSError, so a delivery attempt fails with it."""


def check(url: str, resolve: bool = True) -> None:
    """:raise Refused: when `url` is no http(s) URL or reaches an address not allowed.

    `resolve=False` (when a URL is saved): a name that does not resolve yet passes, as
    the receiver may not be set up yet; each delivery checks again.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("the receiver URL must be an http or https URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise Refused(f"the receiver URL has a bad port: {error}") from None
    for address in _addresses(parts.hostname, port, resolve):
        _check_address(parts.hostname, address)


def _addresses(host: str, port: int, resolve: bool) -> set:
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        if resolve:
            raise
        return set()
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def _check_address(host: str, address) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        raise Refused(f"{host} ({address}) is a link-local, multicast or unspecified "
                      "address: never a receiver")
    if address.is_global or any(address in net for net in _allowed()):
        return
    raise Refused(f"{host} ({address}) is not a public address; list its network in "
                  "OUTBOUND_ALLOW_NETWORKS to send there")


def _allowed() -> tuple:
    return networks(str(config.mapping().get("OUTBOUND_ALLOW_NETWORKS") or ""))


@lru_cache(maxsize=8)
def networks(text: str) -> tuple:
    """:raise ValueError: naming the part of OUTBOUND_ALLOW_NETWORKS that is no network."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"OUTBOUND_ALLOW_NETWORKS: {part!r} is not a network such as "
                             "10.0.0.0/8") from None
    return tuple(out)
