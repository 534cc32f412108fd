// Types of @ycprov/provider. The export types (`iam`, `provider`) come from the jco
// output bundled in `provider/`; the import types below describe what this host supplies.

import type * as Iam from './provider/interfaces/yandex-cloud-iam-iam.js';
import type * as Lifecycle from './provider/interfaces/ycprov-provider-lifecycle.js';

/** The cloud-neutral WIT package of the component's imports and its `lifecycle` export. */
export const PACKAGE: 'ycprov:provider';
/** The version of that package this host implements. */
export const VERSION: '0.2.0';
/** The directory of the jco output bundled with this package. */
export const BUNDLED_PROVIDER_DIR: string;
/** The three Yandex Cloud API origins the provider talks to. */
export const YANDEX_ORIGINS: readonly string[];
/** The exact `scheme://host:port` of an http(s) URL; throws an Error saying why for anything else. */
export function originOf(url: string): string;

/** A WIT `result` as a synchronous import returns it. */
export type Result<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

/** `http` (import): one request; 4xx/5xx are responses, not errors. */
export interface HttpImport {
  send(request: HttpRequest): Result<HttpResponse, TransportError>;
}
/** An outgoing request as the guest builds it. */
export interface HttpRequest {
  method: 'get' | 'post' | 'patch' | 'delete';
  url: string;
  headers: Array<[string, string]>;
  body?: Uint8Array;
}
/** A response: status, lower-case headers, the body (at most `maxResponseBytes`). */
export interface HttpResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}
/** Why a request was not delivered. */
export type TransportError =
  | { tag: 'denied'; val: string }
  | { tag: 'timeout' }
  | { tag: 'unreachable'; val: string }
  | { tag: 'too-large'; val: bigint }
  | { tag: 'other'; val: string };

/** `identity` (import): who the provider acts as; never the secret. */
export interface IdentityImport {
  current(): Result<Identity, string>;
}
/** The identity the host authenticates requests as; Yandex defaults are the attributes `cloud-id` and `folder-id`. */
export interface Identity {
  source: string;
  subject?: string;
  attributes: Array<[string, string]>;
}

/** `clock` (import): wall time, a capped blocking sleep, randomness. */
export interface ClockImport {
  now(): { seconds: bigint; nanoseconds: number };
  sleep(millis: number): void;
  random(): bigint;
}

/** A log level of the `log` import. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
/** `log` (import): the provider's diagnostics (it never logs secrets). */
export interface LogImport {
  log(level: LogLevel, message: string): void;
}

/** The options of {@link createHost}. */
export interface HostOptions {
  /** The IAM token attached to allowed requests; the guest never sees it. */
  token?: string;
  /** Where requests for the Yandex origins go instead (e.g. the local emulator). */
  endpoint?: string;
  /** The default cloud the identity reports. */
  cloudId?: string;
  /** The default folder the identity reports. */
  folderId?: string;
  /** Receives the provider's log records (the token redacted); default: stderr. */
  onLog?: (level: LogLevel, message: string) => void;
  /** The timeout of one request (default 60 000 ms). */
  requestTimeoutMs?: number;
  /** The largest response body accepted (default 10 MiB). */
  maxResponseBytes?: number;
  /** The longest one `clock.sleep` blocks (default 60 000 ms). */
  maxSleepMs?: number;
}

/** The four imports, ready to instantiate the component with. */
export interface Host {
  /** The import object jco's `instantiate` takes (keys with and without `@0.2.0`). */
  imports: Record<string, unknown>;
  /** The same implementations by interface name. */
  interfaces: {
    http: HttpImport;
    identity: IdentityImport;
    clock: ClockImport;
    log: LogImport;
  };
  /** Stops the HTTP worker thread. */
  close(): Promise<number>;
}

/** Builds the imports: HTTP under the host's policy, the identity, a clock and a log. */
export function createHost(options: HostOptions): Host;

/** One instance's exports. */
export interface ProviderInstance {
  /** The imperative API (`create-account`, `bind-role`, `create-key`, …); errors are thrown as `ComponentError` with `.payload`. */
  iam: typeof Iam;
  /** The Terraform-style lifecycle (JSON text in and out). */
  lifecycle: typeof Lifecycle;
}

/** A compiled component; instantiate once per host, again after a trap. */
export interface LoadedProvider {
  instantiate(host: Host): ProviderInstance;
}

/** Compiles the jco output in `dir` (default: the bundled component). */
export function loadProvider(dir?: string, name?: string): Promise<LoadedProvider>;

/** Blocking HTTP for synchronous imports (a worker thread and Atomics.wait). */
export class SyncFetcher {
  constructor();
  fetch(
    request: { url: string; method: string; headers: Array<[string, string]>; body?: Uint8Array },
    limits: { timeoutMs: number; maxBytes: number },
  ):
    | { response: HttpResponse | { tooLarge: true } }
    | { error: { kind: 'timeout' | 'unreachable' | 'other'; message: string } };
  close(): Promise<number>;
}
