// @ycprov/provider: the ycprov provider component for Node.js. The package holds the
// component transpiled by jco (instantiation mode, in `provider/`) and a host that
// supplies its four imports: `http` under the host's policy, `identity` (who it acts as,
// only), `clock` and `log`. See README.md and index.d.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { createHttp } from './http.js';
import { SyncFetcher } from './sync-fetch.js';

/** The cloud-neutral WIT package of the component's imports and its `lifecycle` export. */
export const PACKAGE = 'ycprov:provider';
/** The version of that package this host implements. */
export const VERSION = '0.2.0';
/** The jco output bundled with this package. */
export const BUNDLED_PROVIDER_DIR = fileURLToPath(new URL('./provider/', import.meta.url));

export { SyncFetcher } from './sync-fetch.js';
export { YANDEX_ORIGINS, originOf } from './http.js';

/**
 * The host's capabilities. Options: `token` (IAM token, never shown to the guest),
 * `endpoint` (where the Yandex origins are sent, e.g. the emulator), `cloudId`,
 * `folderId`, `onLog(level, message)`, `requestTimeoutMs`, `maxResponseBytes`, `maxSleepMs`.
 */
export function createHost(options) {
  const {
    token,
    endpoint,
    cloudId,
    folderId,
    onLog = (level, message) => console.error(`[provider ${level}] ${message}`),
    requestTimeoutMs = 60_000,
    maxResponseBytes = 10 << 20,
    maxSleepMs = 60_000,
  } = options;
  const fetcher = new SyncFetcher();
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  const redact = (text) => (token ? text.replaceAll(token, '***') : text);

  const interfaces = {
    http: createHttp({ fetcher, token, endpoint, requestTimeoutMs, maxResponseBytes }),
    identity: {
      current() {
        if (!token) {
          return { tag: 'err', val: 'no credential is configured' };
        }
        const attributes = [];
        if (cloudId) attributes.push(['cloud-id', cloudId]);
        if (folderId) attributes.push(['folder-id', folderId]);
        return { tag: 'ok', val: { source: 'iam-token', subject: undefined, attributes } };
      },
    },
    clock: {
      now() {
        const millis = Date.now();
        return { seconds: BigInt(Math.floor(millis / 1000)), nanoseconds: (millis % 1000) * 1_000_000 };
      },
      sleep(millis) {
        Atomics.wait(sleepCell, 0, 0, Math.min(millis, maxSleepMs));
      },
      random() {
        return crypto.getRandomValues(new BigUint64Array(1))[0];
      },
    },
    log: {
      log(level, message) {
        onLog(level, redact(message));
      },
    },
  };

  // jco's generated code looks the imports up without the `@version` suffix, while its
  // .d.ts declares them with it; supplying both keys satisfies either.
  const imports = {};
  for (const [name, implementation] of Object.entries(interfaces)) {
    imports[`${PACKAGE}/${name}`] = implementation;
    imports[`${PACKAGE}/${name}@${VERSION}`] = implementation;
  }
  return { imports, interfaces, close: () => fetcher.close() };
}

/**
 * Loads the jco output in `dir` (default: the component bundled with this package;
 * `<name>.js` plus its core modules) and compiles the core modules once;
 * `instantiate(host)` returns `{ iam, lifecycle }` of a fresh instance. After a trap
 * (a thrown `WebAssembly.RuntimeError`), instantiate again: the old instance is unusable.
 */
export async function loadProvider(dir = BUNDLED_PROVIDER_DIR, name = 'provider') {
  const { instantiate } = await import(pathToFileURL(join(dir, `${name}.js`)).href);
  const modules = new Map();
  const getCoreModule = (file) => {
    if (!modules.has(file)) {
      modules.set(file, new WebAssembly.Module(readFileSync(join(dir, file))));
    }
    return modules.get(file);
  };
  return {
    instantiate(host) {
      const root = instantiate(getCoreModule, host.imports);
      return { iam: root.iam, lifecycle: root.lifecycle };
    },
  };
}
