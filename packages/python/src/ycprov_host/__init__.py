"""ycprov-host: a Python host for the ycprov provider component, on wasmtime's component API.

`Provider` is the entry point: it compiles the component once, calls `iam` and
`provider` functions on an instance, raises the component's typed errors as
`IamError` subclasses, and replaces the instance after a trap. `ProviderHost` and
`ProviderInstance` are the lower-level pieces it is built from.

It supplies the four imports of the `provider-component` world: `http` (urllib, under
the host's policy: an allow-list of exact origins, the Yandex origins rewritten to an
endpoint override, `Authorization: Bearer` attached by the host, a guest-set one
refused, no redirects, a capped body), `identity` (who it acts as, never the
token), `clock` and `log`.

wasmtime-py maps WIT values to Python ones: records are `Record` objects with the WIT
(kebab-case) field names, enums are `str`, `list<u8>` is `bytes`, and a `result` or
`variant` whose cases have different Python types is *untagged*: the iam functions
return the ok value itself, or the `error` variant as `Variant(tag, payload)`.
"""

import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Optional

from wasmtime import Engine, Store, Trap, WasmtimeError
from wasmtime.component import Component, Linker, Record, Variant

PACKAGE = "ycprov:provider@0.2.0"
"""The cloud-neutral WIT package of the imports and the `lifecycle` export."""

YANDEX_PACKAGE = "yandex-cloud:iam@0.2.0"
"""The Yandex WIT package of the `iam` export."""

EXPORTS = {"iam": "yandex-cloud:iam/iam@0.2.0", "lifecycle": "ycprov:provider/lifecycle@0.2.0"}
"""The component's exports by short name."""

YANDEX_ORIGINS = (
    "https://iam.api.cloud.yandex.net:443",
    "https://resource-manager.api.cloud.yandex.net:443",
    "https://operation.api.cloud.yandex.net:443",
    "https://lockbox.api.cloud.yandex.net:443",
    "https://payload.lockbox.api.cloud.yandex.net:443",
)
"""The Yandex Cloud API origins the provider talks to."""

FORBIDDEN_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "host", "metadata-flavor"}
)
"""Request headers the host owns; the guest may not set them."""


def record(**fields: Any) -> Record:
    """A WIT record; `folder_id=…` becomes the field `folder-id`."""
    value = Record()
    for name, field in fields.items():
        setattr(value, name.replace("_", "-"), field)
    return value


class Denied(Exception):
    """The host's policy refuses a request; the message says why."""


def origin_of(url: str) -> str:
    """The exact `scheme://host:port` of an http(s) URL; raises `Denied` for anything else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Denied(f"`{url}`: scheme `{parts.scheme}` is not supported (use http or https)")
    if parts.username is not None or parts.password is not None:
        raise Denied(f"`{url}`: user information in URLs is not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise Denied(f"`{url}`: {error}") from None
    if not parts.hostname:
        raise Denied(f"`{url}` has no host")
    return f"{parts.scheme}://{parts.hostname}:{port}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hands every 3xx back as a response instead of following it."""

    def redirect_request(self, *args: Any) -> None:
        return None


class Http:
    """The `http` import: routes, checks and sends the guest's requests."""

    def __init__(
        self,
        token: Optional[str],
        endpoint: Optional[str],
        request_timeout: float = 60.0,
        max_response_bytes: int = 10 << 20,
    ) -> None:
        self._token = token
        self._override = origin_of(endpoint) if endpoint else None
        self._allowed = set(YANDEX_ORIGINS) | ({self._override} if self._override else set())
        self._timeout = request_timeout
        self._max_bytes = max_response_bytes
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)

    def route(self, url: str) -> str:
        """The URL to fetch; raises `Denied` when the guest may not reach `url`."""
        origin = origin_of(url)
        if self._override and origin in YANDEX_ORIGINS:
            parts = urllib.parse.urlsplit(url)
            query = f"?{parts.query}" if parts.query else ""
            return f"{self._override}{parts.path or '/'}{query}"
        if origin not in self._allowed:
            allowed = ", ".join(sorted(self._allowed))
            raise Denied(f"{origin} is not an allowed endpoint (allowed: {allowed})")
        return url

    def send(self, _store: Any, request: Record) -> Any:
        """`send: func(req: request) -> result<response, transport-error>`."""
        try:
            url = self.route(request.url)
            headers = {}
            for name, value in request.headers:
                if name.lower() in FORBIDDEN_HEADERS:
                    raise Denied(f"the `{name}` header is set by the host; the provider may not set it")
                headers[name] = value
        except Denied as reason:
            return Variant("denied", str(reason))
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        outgoing = urllib.request.Request(
            url, data=request.body, headers=headers, method=request.method.upper()
        )
        try:
            try:
                reply = self._opener.open(outgoing, timeout=self._timeout)
            except urllib.error.HTTPError as error_status:
                reply = error_status
            with reply:
                body = reply.read(self._max_bytes + 1)
                status = reply.status
                reply_headers = [(name.lower(), value) for name, value in reply.headers.items()]
        except (socket.timeout, TimeoutError):
            return Variant("timeout")
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                return Variant("timeout")
            return Variant("unreachable", str(error.reason))
        except OSError as error:
            return Variant("unreachable", str(error))
        if len(body) > self._max_bytes:
            return Variant("too-large", self._max_bytes)
        return record(status=status, headers=reply_headers, body=body)


class ProviderHost:
    """Compiles the component once and links it against this host's imports.

    `token` is attached to allowed requests and never shown to the guest; `endpoint`,
    when given, receives every request meant for a Yandex origin (e.g. the emulator).
    """

    def __init__(
        self,
        component_path: str,
        *,
        token: Optional[str],
        endpoint: Optional[str] = None,
        cloud_id: Optional[str] = None,
        folder_id: Optional[str] = None,
        on_log: Optional[Callable[[str, str], None]] = None,
        max_sleep_seconds: float = 60.0,
        request_timeout: float = 60.0,
        max_response_bytes: int = 10 << 20,
    ) -> None:
        self.http = Http(token, endpoint, request_timeout, max_response_bytes)
        self._token = token
        self._cloud_id = cloud_id
        self._folder_id = folder_id
        self._on_log = on_log or (lambda level, message: print(f"[provider {level}] {message}"))
        self._max_sleep = max_sleep_seconds
        self.engine = Engine()
        self.component = Component.from_file(self.engine, component_path)
        self.linker = Linker(self.engine)
        with self.linker.root() as root:
            with root.add_instance("ycprov:provider/http@0.2.0") as http:
                http.add_func("send", self.http.send)
            with root.add_instance("ycprov:provider/identity@0.2.0") as identity:
                identity.add_func("current", self.current_identity)
            with root.add_instance("ycprov:provider/clock@0.2.0") as clock:
                clock.add_func("now", self._now)
                clock.add_func("sleep", self._sleep)
                clock.add_func("random", lambda _store: secrets.randbits(64))
            with root.add_instance("ycprov:provider/log@0.2.0") as log:
                log.add_func("log", self._log)

    def instantiate(self) -> "ProviderInstance":
        """A fresh instance in a fresh store (after a trap, an instance is unusable)."""
        return ProviderInstance(self)

    def current_identity(self, _store: Any) -> Any:
        """`current: func() -> result<identity, string>`: an identity `Record`, or why there is none."""
        if not self._token:
            return "no credential is configured"
        attributes = [(name, value) for name, value in (("cloud-id", self._cloud_id), ("folder-id", self._folder_id)) if value]
        return record(source="iam-token", subject=None, attributes=attributes)

    def _now(self, _store: Any) -> Record:
        nanos = time.time_ns()
        return record(seconds=nanos // 1_000_000_000, nanoseconds=nanos % 1_000_000_000)

    def _sleep(self, _store: Any, millis: int) -> None:
        time.sleep(min(millis / 1000, self._max_sleep))

    def _log(self, _store: Any, level: str, message: str) -> None:
        if self._token:
            message = message.replace(self._token, "***")
        self._on_log(level, message)


class ProviderInstance:
    """One instance of the component; `iam(…)` and `lifecycle(…)` call its exports."""

    def __init__(self, host: ProviderHost) -> None:
        self.store = Store(host.engine)
        self.instance = host.linker.instantiate(self.store, host.component)

    def iam(self, function: str, *args: Any) -> Any:
        """Calls `iam.<function>`: returns the ok value, or the error as `Variant(tag, payload)`."""
        return self.call("iam", function, *args)

    def lifecycle(self, function: str, *args: Any) -> Any:
        """Calls `lifecycle.<function>` (JSON text in and out)."""
        return self.call("lifecycle", function, *args)

    def call(self, interface: str, function: str, *args: Any) -> Any:
        """Calls an exported function by its WIT interface and function names."""
        exported = self.instance.get_export_index(self.store, EXPORTS.get(interface, interface))
        index = self.instance.get_export_index(self.store, function, exported) if exported else None
        func = self.instance.get_func(self.store, index) if index else None
        if func is None:
            raise LookupError(f"the component exports no {interface}.{function}")
        return func(self.store, *args)


class IamError(Exception):
    """A typed error an `iam` function returned (`tag` is the WIT case, `payload` its value)."""

    def __init__(self, tag: str, payload: Any) -> None:
        self.tag = tag
        self.payload = payload
        super().__init__(f"{tag}: {_describe(payload)}")


class ApiError(IamError):
    """`api(api-error)`: Yandex Cloud answered with an error (`code`, `message`, `request_id`, …)."""

    @property
    def code(self) -> str:
        """The gRPC code, e.g. `already-exists`."""
        return getattr(self.payload, "code")

    @property
    def message(self) -> str:
        """Yandex's message, verbatim."""
        return getattr(self.payload, "message")

    @property
    def request_id(self) -> Optional[str]:
        """The request id, for support."""
        return getattr(self.payload, "request-id")


class TransportError(IamError):
    """`transport(…)`: the request was not delivered (denied, timeout, unreachable, too large)."""


class InvalidInput(IamError):
    """`invalid-input`: rejected before any request; the text names the field."""


class BadResponse(IamError):
    """`bad-response`: Yandex Cloud answered something the provider cannot interpret."""


class OperationTimeout(IamError):
    """`operation-timeout`: the Operation did not finish in time (its id is the payload)."""


class Trapped(Exception):
    """The component trapped; the instance was discarded and the next call gets a fresh one."""


_ERRORS = {
    "api": ApiError,
    "transport": TransportError,
    "invalid-input": InvalidInput,
    "bad-response": BadResponse,
    "operation-timeout": OperationTimeout,
}


def _describe(payload: Any) -> str:
    if isinstance(payload, Record):
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(payload).items())
        return f"{{{fields}}}"
    if isinstance(payload, Variant):
        return f"{payload.tag}: {payload.payload!r}"
    return repr(payload)


class Provider:
    """The component with a live instance: `iam(...)` and `lifecycle(...)` call its exports.

    Keyword arguments are those of `ProviderHost`. A typed `iam` error is raised as an
    `IamError` subclass; a trap raises `Trapped`, and the next call runs on a fresh
    instance (a trapped instance is unusable).
    """

    def __init__(self, component_path: str, **options: Any) -> None:
        self.host = ProviderHost(component_path, **options)
        self._instance: Optional[ProviderInstance] = None

    def iam(self, function: str, *args: Any) -> Any:
        """Calls `iam.<function>`; returns its ok value or raises its typed error."""
        result = self._call("iam", function, *args)
        if isinstance(result, Variant) and result.tag in _ERRORS:
            raise _ERRORS[result.tag](result.tag, result.payload)
        return result

    def lifecycle(self, function: str, *args: Any) -> Any:
        """Calls `lifecycle.<function>` (JSON text in and out)."""
        return self._call("lifecycle", function, *args)

    def _call(self, interface: str, function: str, *args: Any) -> Any:
        if self._instance is None:
            self._instance = self.host.instantiate()
        try:
            return self._instance.call(interface, function, *args)
        except LookupError:
            raise
        except (Trap, WasmtimeError, Exception) as trap:
            # A trap, or an exception a host import raised inside the call (wasmtime
            # re-raises it after unwinding the guest): the instance is unusable either way.
            self._instance = None
            raise Trapped(f"{interface}.{function} trapped: {trap!r}") from trap

