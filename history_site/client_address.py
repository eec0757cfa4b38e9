"""The address a request came from, for the login lock-out.

Behind a proxy every request arrives from the proxy's address; the visitor's is the one the proxy
appended to X-Forwarded-For. With DJANGO_PROXY_COUNT=N (the number of proxies in front of the site)
the address is the N-th from the right of that header, which a visitor cannot forge: anything they
send themselves ends up further left. Without it, X-Forwarded-For is ignored.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
