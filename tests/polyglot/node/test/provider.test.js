// The provider component hosted by Node.js through the @ycprov/provider package as a
// user installs it (npm install of the packed tarball) against the emulator: the three
// AI Studio steps through the `iam` export, a typed error, and the host's HTTP rules.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { BUNDLED_PROVIDER_DIR, createHost, loadProvider } from '@ycprov/provider';
import { startEmulator } from './emulator.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const emulatorBinary = process.env.YC_EMULATOR ?? `${root}/target/debug/yc-emulator`;

const ROLE = 'ai.languageModels.user';
const SCOPE = 'yc.ai.languageModels.execute';

let emulator;
let host;
let iam;
const logs = [];

before(async () => {
  for (const needed of [emulatorBinary, `${BUNDLED_PROVIDER_DIR}/provider.js`]) {
    assert.ok(existsSync(needed), `${needed} is missing: run scripts/test-polyglot (it builds, transpiles and installs the package)`);
  }
  assert.ok(BUNDLED_PROVIDER_DIR.includes('node_modules'), `the installed package is used: ${BUNDLED_PROVIDER_DIR}`);
  emulator = await startEmulator(emulatorBinary);
  host = createHost({
    token: emulator.token,
    endpoint: emulator.endpoint,
    cloudId: emulator.cloud_id,
    folderId: emulator.folder_id,
    onLog: (level, message) => logs.push({ level, message }),
  });
  const provider = await loadProvider();
  ({ iam } = provider.instantiate(host));
});

after(async () => {
  await host?.close();
  emulator?.stop();
});

function timed(t, label, step) {
  const started = performance.now();
  const result = step();
  t.diagnostic(`${label}: ${(performance.now() - started).toFixed(1)} ms`);
  return result;
}

test('create-account, bind-role and create-key leave the emulator in the expected state', async (t) => {
  const folderId = emulator.folder_id;
  const account = timed(t, 'create-account', () =>
    iam.createAccount({ folderId, name: 'polyglot-node', description: 'made by the Node host', labels: [['host', 'node']] }),
  );
  assert.equal(account.name, 'polyglot-node');
  assert.equal(account.folderId, folderId);
  assert.equal(account.description, 'made by the Node host');
  assert.deepEqual(account.labels, [['host', 'node']]);
  assert.match(account.id, /^\w+$/);

  const subject = { kind: 'serviceAccount', id: account.id };
  const bound = timed(t, 'bind-role', () => iam.bindRole(folderId, ROLE, subject));
  assert.equal(bound, undefined);

  const created = timed(t, 'create-key', () =>
    iam.createKey({ serviceAccountId: account.id, description: 'node key', scopes: [SCOPE], expiresAt: undefined }),
  );
  assert.equal(created.key.serviceAccountId, account.id);
  assert.deepEqual(created.key.scopes, [SCOPE]);
  assert.ok(created.secret.length > 20, 'the secret comes back once, in the result');

  const state = await emulator.state();
  const accounts = state.service_accounts.filter((a) => a.name === 'polyglot-node');
  assert.deepEqual(
    accounts.map(({ id, folder_id, description, labels }) => ({ id, folder_id, description, labels })),
    [{ id: account.id, folder_id: folderId, description: 'made by the Node host', labels: { host: 'node' } }],
  );
  assert.ok(
    state.folder_bindings[folderId].some(
      (b) => b.role_id === ROLE && b.subject_type === 'serviceAccount' && b.subject_id === account.id,
    ),
    `the folder grants ${ROLE} to the account`,
  );
  const keys = state.api_keys.filter((k) => k.service_account_id === account.id);
  assert.deepEqual(
    keys.map(({ id, scopes, description }) => ({ id, scopes, description })),
    [{ id: created.key.id, scopes: [SCOPE], description: 'node key' }],
  );
  assert.equal(keys[0].masked_secret, `****${created.secret.slice(-6)}`);
});

test('a duplicate account name is a typed api error (already-exists)', () => {
  const spec = { folderId: emulator.folder_id, name: 'polyglot-node-twice', labels: [] };
  iam.createAccount(spec);
  assert.throws(
    () => iam.createAccount(spec),
    (error) => {
      assert.equal(error.constructor.name, 'ComponentError');
      assert.equal(error.payload.tag, 'api');
      assert.equal(error.payload.val.code, 'already-exists');
      assert.equal(error.payload.val.httpStatus, 409);
      assert.match(error.payload.val.message, /polyglot-node-twice/);
      return true;
    },
  );
});

test('the http import enforces the host policy', async (t) => {
  const { send } = host.interfaces.http;
  const get = (url, headers = []) => send({ method: 'get', url, headers, body: undefined });
  const listUrl = `https://iam.api.cloud.yandex.net/iam/v1/serviceAccounts?folderId=${emulator.folder_id}`;

  await t.test('a Yandex origin is routed to the endpoint with the host token', () => {
    const outcome = get(listUrl);
    assert.equal(outcome.tag, 'ok');
    assert.equal(outcome.val.status, 200);
    assert.equal(typeof JSON.parse(new TextDecoder().decode(outcome.val.body)), 'object');
  });

  await t.test('without a host token the emulator answers 401', async () => {
    const tokenless = createHost({ endpoint: emulator.endpoint, onLog: () => {} });
    try {
      const outcome = tokenless.interfaces.http.send({ method: 'get', url: listUrl, headers: [], body: undefined });
      assert.equal(outcome.tag, 'ok');
      assert.equal(outcome.val.status, 401);
    } finally {
      await tokenless.close();
    }
  });

  const refusals = [
    ['an origin outside the allow-list', 'https://example.com/iam/v1/serviceAccounts', []],
    ['the metadata service', 'http://169.254.169.254/computeMetadata/v1/', []],
    ['another port of a Yandex host', 'https://iam.api.cloud.yandex.net:8443/x', []],
    ['user information in the URL', 'https://user@iam.api.cloud.yandex.net/x', []],
    ['a non-http scheme', 'file:///etc/passwd', []],
    ['a guest Authorization header', listUrl, [['Authorization', 'Bearer guest-token']]],
    ['a guest Cookie header', listUrl, [['cookie', 'a=b']]],
  ];
  for (const [what, url, headers] of refusals) {
    await t.test(`refuses ${what}`, () => {
      const outcome = get(url, headers);
      assert.equal(outcome.tag, 'err');
      assert.equal(outcome.val.tag, 'denied');
    });
  }
});

test('the guest sees an identity, never the token', () => {
  const outcome = host.interfaces.identity.current();
  assert.deepEqual(outcome, {
    tag: 'ok',
    val: {
      source: 'iam-token',
      subject: undefined,
      attributes: [['cloud-id', emulator.cloud_id], ['folder-id', emulator.folder_id]],
    },
  });
  assert.ok(!JSON.stringify(outcome).includes(emulator.token));
  assert.ok(logs.every(({ message }) => !message.includes(emulator.token)), 'no log record carries the token');
});
