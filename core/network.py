"""Who is asking, as far as the network can tell."""

from django.conf import settings


def client_address(request) -> str:
    """The client's IP address, for login throttling and logs.

    Behind TRUSTED_PROXY_COUNT reverse proxies (a TLS terminator, a load balancer), REMOTE_ADDR
    is the last proxy's address: the client's is then the N-th from the right in
    X-Forwarded-For, the one the outermost trusted proxy wrote. Without the setting (0, the
    default) X-Forwarded-For is ignored, since any client can write it."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < proxies:
        return remote  # not through all the proxies we expect: do not trust the header
    return forwarded[-proxies]
