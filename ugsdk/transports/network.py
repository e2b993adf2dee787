"""One network configuration for HTTP calls and the live events socket.

Proxies, certificate authorities, a client certificate and an :class:`ssl.SSLContext` are
given once and read by both halves of :class:`~ugsdk.transports.HTTPTransport`: requests for
the calls, websocket-client for the socket. The two libraries read the environment
differently (websocket-client ignores ``REQUESTS_CA_BUNDLE`` and never proxies
``127.0.0.1``), so the socket's settings are worked out here, with requests' own rules, and
handed to websocket-client complete.
"""

from __future__ import annotations

import os
import ssl
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit

import attrs

from ..errors import ValidationError

__all__ = ["NetworkSettings", "check_network_options"]

Verify = Union[bool, str]
Cert = Union[str, Tuple[str, str], None]

# Proxy keys requests understands: a scheme, or scheme://host for one host only.
_PROXY_SCHEMES = ("http", "https", "all", "no_proxy")


def _check_proxies(value: Optional[Mapping[str, str]]) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a dict such as {{'https': 'http://proxy:3128'}}, got {type(value).__name__}", argument="proxies")
    checked: Dict[str, str] = {}
    for key, url in value.items():
        if not isinstance(key, str) or not isinstance(url, str):
            raise ValidationError("keys and values must be strings", argument="proxies")
        if key.split("://")[0] not in _PROXY_SCHEMES:
            raise ValidationError(f"key {key!r} is not a scheme (http, https, all) or scheme://host", argument="proxies")
        if key != "no_proxy" and url and not urlsplit(url if "://" in url else "http://" + url).hostname:
            raise ValidationError(f"{key!r} is not a proxy URL such as 'http://proxy:3128'", argument="proxies")
        checked[key] = url
    return checked


def check_network_options(
    *,
    verify: Any = True,
    cert: Any = None,
    proxies: Any = None,
    trust_env: Any = True,
    ssl_context: Any = None,
) -> "NetworkSettings":
    """Checked network settings.

    Raises:
        ValidationError: a setting of the wrong type, naming it.
    """
    if not isinstance(verify, (bool, str)):
        raise ValidationError(f"must be True, False or a CA bundle path, got {type(verify).__name__}", argument="verify")
    if cert is not None and not isinstance(cert, str) and not (
        isinstance(cert, tuple) and len(cert) == 2 and all(isinstance(p, str) for p in cert)
    ):
        raise ValidationError("must be a certificate path or a (certificate, key) pair of paths", argument="cert")
    if not isinstance(trust_env, bool):
        raise ValidationError(f"must be True or False, got {type(trust_env).__name__}", argument="trust_env")
    if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
        raise ValidationError(f"must be an ssl.SSLContext, got {type(ssl_context).__name__}", argument="ssl_context")
    return NetworkSettings(verify=verify, cert=cert, proxies=_check_proxies(proxies), trust_env=trust_env, ssl_context=ssl_context)


@attrs.frozen(repr=False)
class NetworkSettings:
    """The network settings of one transport.

    Attributes:
        verify: verify server certificates (``True``), don't (``False``), or verify with
            this CA bundle file (or directory).
        cert: a client certificate path, or ``(certificate, key)`` paths.
        proxies: explicit proxies, as requests takes them (``{"https": "http://p:3128"}``).
        trust_env: also read ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``, ``NO_PROXY`` and
            ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the environment, as requests does.
        ssl_context: a context to make TLS connections with; it then decides verification,
            the trusted CAs and any client certificate.
    """

    verify: Verify = True
    cert: Cert = None
    proxies: Dict[str, str] = attrs.field(factory=dict)
    trust_env: bool = True
    ssl_context: Optional[ssl.SSLContext] = attrs.field(default=None, repr=False)

    def make_transport(self) -> Any:
        """An :class:`~ugsdk.transports.HTTPTransport` with these settings."""
        from .http import HTTPTransport

        return HTTPTransport(
            verify=self.verify, cert=self.cert, proxies=self.proxies, trust_env=self.trust_env, ssl_context=self.ssl_context
        )

    def proxy_for(self, url: str) -> Optional[str]:
        """The proxy URL for ``url`` (an ``http(s)://`` URL), or ``None`` to connect directly.

        Explicit proxies come first, then (with ``trust_env``) the environment's, unless
        ``NO_PROXY`` (or a ``no_proxy`` key among the explicit proxies) names the host:
        the rules of requests.
        """
        from requests.utils import get_environ_proxies, select_proxy

        proxies = dict(self.proxies)
        if self.trust_env:
            for key, value in get_environ_proxies(url, no_proxy=proxies.get("no_proxy")).items():
                proxies.setdefault(key, value)
        proxies.pop("no_proxy", None)
        chosen = select_proxy(url, proxies)
        return chosen or None

    def ca_bundle(self) -> Verify:
        """``verify``, with the environment's CA bundle when it is ``True`` and the
        environment is trusted (what requests does for its calls)."""
        if self.verify is True and self.trust_env:
            return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return self.verify

    def tls_context(self) -> ssl.SSLContext:
        """The context TLS connections of the events socket use: ``ssl_context`` when
        given, else one made from ``verify`` (and the environment's CA bundle) and ``cert``."""
        if self.ssl_context is not None:
            return self.ssl_context
        verify = self.ca_bundle()
        if isinstance(verify, str):
            context = ssl.create_default_context(
                cafile=None if os.path.isdir(verify) else verify, capath=verify if os.path.isdir(verify) else None
            )
        else:
            context = ssl.create_default_context()
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        if isinstance(self.cert, str):
            context.load_cert_chain(self.cert)
        elif self.cert is not None:
            context.load_cert_chain(*self.cert)
        return context

    def proxy_options(self, url: str) -> Optional[Dict[str, Any]]:
        """websocket-client's options to reach ``url`` (the ``http(s)://`` form of the
        socket's URL) through its proxy, or ``None`` when it is reached directly."""
        proxy = self.proxy_for(url)
        if proxy is None:
            return None
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "socks4", "socks4a", "socks5", "socks5h"):
            raise ValidationError(f"the proxy scheme {scheme!r} cannot carry the events socket (http or socks)", argument="proxies")
        options: Dict[str, Any] = {
            "http_proxy_host": parts.hostname,
            "http_proxy_port": parts.port or (1080 if scheme.startswith("socks") else 80),
            "proxy_type": scheme,
            # A non-empty list, so that websocket-client's own default (never proxy
            # localhost) and the environment's NO_PROXY, applied already, are not applied again.
            "http_no_proxy": [".ugsdk.invalid"],
        }
        if parts.username:
            options["http_proxy_auth"] = (unquote(parts.username), unquote(parts.password or ""))
        return options

    def __repr__(self) -> str:
        # Proxy URLs may hold a password: only their hosts are shown.
        shown = {k: (urlsplit(v).hostname or "?") if k != "no_proxy" else v for k, v in self.proxies.items()}
        context = " ssl_context=set" if self.ssl_context is not None else ""
        return f"NetworkSettings(verify={self.verify!r}, cert={self.cert!r}, proxies={shown!r}, trust_env={self.trust_env!r}{context})"
