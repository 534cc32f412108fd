// The `http` import: the guest's requests, sent under the host's policy.
//
// Only allowed origins are reachable; the three Yandex origins are rewritten to the
// endpoint override (e.g. the emulator); the host attaches `Authorization: Bearer`;
// a guest-set `Authorization` (or other host-owned header) is refused; redirects
// are never followed and response bodies are capped.

/** The Yandex Cloud API origins the provider talks to. */
export const YANDEX_ORIGINS = [
  'https://iam.api.cloud.yandex.net:443',
  'https://resource-manager.api.cloud.yandex.net:443',
  'https://operation.api.cloud.yandex.net:443',
  'https://lockbox.api.cloud.yandex.net:443',
  'https://payload.lockbox.api.cloud.yandex.net:443',
];

/** Request headers the host owns; the guest may not set them. */
const FORBIDDEN_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'metadata-flavor',
]);

/** The exact `scheme://host:port` of an http(s) URL; throws an Error saying why for anything else. */
export function originOf(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`\`${url}\` is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`\`${url}\`: scheme \`${parsed.protocol.slice(0, -1)}\` is not supported (use http or https)`);
  }
  if (parsed.username || parsed.password) {
    throw new Error(`\`${url}\`: user information in URLs is not allowed`);
  }
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

/**
 * Builds the `http` interface. `token` is attached to every allowed request;
 * `endpoint`, when given, receives every request meant for a Yandex origin.
 */
export function createHttp({ fetcher, token, endpoint, requestTimeoutMs, maxResponseBytes }) {
  const override = endpoint ? originOf(endpoint) : null;
  const allowed = new Set(override ? [...YANDEX_ORIGINS, override] : YANDEX_ORIGINS);

  /** The URL to fetch; throws an Error saying why the guest may not reach `url`. */
  function route(url) {
    const origin = originOf(url);
    if (override && YANDEX_ORIGINS.includes(origin)) {
      const { pathname, search } = new URL(url);
      return `${override}${pathname}${search}`;
    }
    if (!allowed.has(origin)) {
      throw new Error(`${origin} is not an allowed endpoint (allowed: ${[...allowed].join(', ')})`);
    }
    return url;
  }

  function send(request) {
    let url;
    try {
      url = route(request.url);
    } catch (error) {
      return denied(error.message);
    }
    const headers = [];
    for (const [name, value] of request.headers) {
      if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
        return denied(`the \`${name}\` header is set by the host; the provider may not set it`);
      }
      headers.push([name, value]);
    }
    if (token) {
      headers.push(['authorization', `Bearer ${token}`]);
    }
    const outcome = fetcher.fetch(
      { url, method: request.method.toUpperCase(), headers, body: request.body },
      { timeoutMs: requestTimeoutMs, maxBytes: maxResponseBytes },
    );
    if (outcome.error) {
      return failed(outcome.error);
    }
    if (outcome.response.tooLarge) {
      return { tag: 'err', val: { tag: 'too-large', val: BigInt(maxResponseBytes) } };
    }
    return { tag: 'ok', val: outcome.response };
  }

  return { send };
}

function denied(reason) {
  return { tag: 'err', val: { tag: 'denied', val: reason } };
}

function failed({ kind, message }) {
  if (kind === 'timeout') {
    return { tag: 'err', val: { tag: 'timeout' } };
  }
  return { tag: 'err', val: { tag: kind, val: message } };
}
