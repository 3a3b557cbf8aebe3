"""check_openstack_api: an OpenStack API endpoint over HTTP(S) (osmon's ``http`` probe kind).

One GET of ``--url`` (or ``http[s]://HOST:PORT/PATH``): the status must be in ``--expect``
(default 200; 300 for the version documents that answer Multiple Choices), the body must match
``--regex`` when given, the response time is judged with ``-w``/``-c`` (seconds) and, over
HTTPS, the certificate's days left with ``--tls-warning``/``--tls-critical`` (e.g. ``30:`` and
``7:``); a certificate that does not verify is CRITICAL. ``--keystone`` sends a Keystone token
(``OS_CLOUD`` or ``OS_AUTH_URL``, ``OS_USERNAME``, ``OS_PASSWORD``, ``OS_PROJECT_NAME`` …), kept
in a cache file between runs (``--token-cache DIR``, default ``~/.cache/osmon``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.runtime import CheckError, PluginParser, run
from osmon.checks.state import State

SERVICE = "OPENSTACK_API"


def _statuses(text: str) -> tuple[int, ...]:
    try:
        codes = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of HTTP statuses: {text!r}") from None
    if not all(100 <= c <= 599 for c in codes):
        raise argparse.ArgumentTypeError(f"HTTP statuses are 100-599: {text!r}")
    return codes


def _regex(text: str) -> str:
    import re

    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"invalid regex {text!r}: {exc}") from None
    return text


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_openstack_api", "OpenStack API endpoint over HTTP(S)")
    p.add_argument("-H", "--hostname", help="host name or address")
    p.add_argument("-p", "--port", type=int, help="port (default 80, 443 with -S)")
    p.add_argument("-S", "--ssl", action="store_true", help="use HTTPS")
    p.add_argument("--path", default="/", help="URL path (default /)")
    p.add_argument("-u", "--url", help="whole URL instead of -H/-p/-S/--path")
    p.add_argument("-e", "--expect", type=_statuses, default=(200,), help="e.g. 200,300")
    p.add_argument("-r", "--regex", type=_regex, help="the body must match this regex")
    p.add_argument("-w", "--warning", type=range_argument, help="response time range (s)")
    p.add_argument("-c", "--critical", type=range_argument, help="response time range (s)")
    p.add_argument("--tls-warning", type=range_argument, metavar="RANGE", help="days left")
    p.add_argument("--tls-critical", type=range_argument, metavar="RANGE", help="days left")
    p.add_argument("-k", "--insecure", action="store_true", help="do not verify TLS")
    p.add_argument("--ca-file", help="CA bundle (PEM)")
    p.add_argument("--sni", help="server name to send and verify")
    p.add_argument("--keystone", action="store_true", help="send a Keystone token")
    p.add_argument("--token-cache", type=Path, metavar="DIR", help="Keystone token cache dir")
    p.add_argument("--os-cloud", metavar="NAME", help="clouds.yaml entry (default: OS_CLOUD)")
    return p


def url_of(args: argparse.Namespace) -> str:
    if args.url:
        if not args.url.startswith(("http://", "https://")):
            raise CheckError(State.UNKNOWN, f"not an http(s) URL: {args.url!r}")
        return str(args.url)
    if not args.hostname:
        raise CheckError(State.UNKNOWN, "give -H HOST or -u URL")
    scheme = "https" if args.ssl else "http"
    port = f":{args.port}" if args.port else ""
    path = args.path if args.path.startswith("/") else "/" + args.path
    return f"{scheme}://{args.hostname}{port}{path}"


def _keystone(args: argparse.Namespace) -> Callable[[Any, Any], Callable[[], None]]:
    from osmon.checks.plugins import keystone_token
    from osmon.checks.plugins.probing import auth_from_environment

    auth = auth_from_environment(args.os_cloud)
    if auth is None:
        raise CheckError(State.UNKNOWN, "--keystone: set OS_CLOUD or OS_AUTH_URL…")
    cache = keystone_token.cache_file(args.token_cache or keystone_token.DEFAULT_CACHE, auth)

    def setup(ctx: Any, target: Any) -> Callable[[], None]:
        import importlib

        http: Any = importlib.import_module("osmon.probes.http")  # the http probe kind
        ctx.auth = auth
        ksa = keystone_token.load(ctx, cache)
        from osmon.probes.keystone_session import describe

        try:
            token = ksa.get_token()
        except Exception as exc:  # keystoneauth's many errors: one line, as the probes say it
            raise CheckError(State.UNKNOWN, f"Keystone: {describe(exc)}") from None
        if not token:
            raise CheckError(State.UNKNOWN, "Keystone: no token")
        http.session(target, ctx).headers["X-Auth-Token"] = token
        return lambda: keystone_token.save(ksa, cache)

    return setup


def check(args: argparse.Namespace) -> Result:
    from urllib.parse import urlsplit

    from osmon.checks.plugins.probing import probe_result

    url = url_of(args)
    parts = urlsplit(url)
    fields: dict[str, Any] = {
        "url": url,
        "address": parts.hostname,
        "port": parts.port or (443 if parts.scheme == "https" else 80),
        "expected_status": args.expect,
        "tls_verify": not args.insecure,
        "ca_file": args.ca_file,
        "server_name": args.sni,
    }
    if args.regex is not None:
        fields["body_pattern"] = args.regex
    return probe_result(
        args,
        "http",
        limits={
            "response_time": Thresholds(args.warning, args.critical),
            "days_left": Thresholds(args.tls_warning, args.tls_critical),
        },
        setup=_keystone(args) if args.keystone else None,
        **fields,
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
