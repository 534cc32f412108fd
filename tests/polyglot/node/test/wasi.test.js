// The WASI build (`ycprov provider-wasm --wasi`) in a host we did not write: `jco transpile`
// with its default mapping of `wasi:*` onto @bytecodealliance/preview2-shim. No host code
// of ours runs here; the adapter inside the component reads its configuration from the
// environment, which the shim takes from process.env when it loads and from `_setEnv`.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startEmulator } from './emulator.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const emulatorBinary = process.env.YC_EMULATOR ?? `${root}/target/debug/yc-emulator`;
const wasiBuild = resolve(here, '../wasi-build/provider-wasi.js');

const ROLE = 'ai.languageModels.user';
const SCOPE = 'yc.ai.languageModels.execute';

let emulator;
let setEnv;
let instances = 0;

/** A fresh instance of the transpiled component, seeing `env` as its environment. */
async function load(env) {
  setEnv(env);
  instances += 1;
  return import(`${pathToFileURL(wasiBuild)}?instance=${instances}`);
}

before(async () => {
  for (const needed of [emulatorBinary, wasiBuild]) {
    assert.ok(existsSync(needed), `${needed} is missing: run scripts/test-stock-hosts (it builds and transpiles)`);
  }
  emulator = await startEmulator(emulatorBinary);
  ({ _setEnv: setEnv } = await import('@bytecodealliance/preview2-shim/cli'));
});

after(() => emulator?.stop());

test('create-account, bind-role and create-key run on jco and preview2-shim', async () => {
  const { iam } = await load({
    YCPROV_ENDPOINT: emulator.endpoint,
    YCPROV_TOKEN: emulator.token,
    YCPROV_ATTRIBUTE_FOLDER_ID: emulator.folder_id,
  });
  const folderId = emulator.folder_id;
  const account = iam.createAccount({ folderId, name: 'stock-node', description: 'made by jco', labels: [] });
  assert.equal(account.name, 'stock-node');
  iam.bindRole(folderId, ROLE, { kind: 'serviceAccount', id: account.id });
  const created = iam.createKey({ serviceAccountId: account.id, description: 'jco key', scopes: [SCOPE], expiresAt: undefined });
  assert.equal(created.key.serviceAccountId, account.id);
  assert.ok(created.secret.length > 20, 'the secret comes back once, in the result');

  const state = await emulator.state();
  assert.deepEqual(
    state.service_accounts.filter((a) => a.name === 'stock-node').map((a) => a.id),
    [account.id],
  );
  assert.ok(
    state.folder_bindings[folderId].some((b) => b.role_id === ROLE && b.subject_id === account.id),
    'the role is bound in the emulator',
  );
  const keys = state.api_keys.filter((k) => k.id === created.key.id);
  assert.deepEqual(keys.map((k) => [k.service_account_id, k.scopes]), [[account.id, [SCOPE]]]);
});

test('the adapter enforces its configuration on jco as well', async () => {
  const cases = [
    {
      what: 'an origin outside the allow-list',
      env: { YCPROV_TOKEN: emulator.token, YCPROV_ALLOWED_ORIGINS: 'https://elsewhere.example' },
      expected: /is not an allowed endpoint \(allowed: https:\/\/elsewhere\.example:443\)/,
    },
    {
      what: 'a malformed variable',
      env: { YCPROV_ENDPOINT: emulator.endpoint, YCPROV_REQUEST_TIMEOUT_SECONDS: 'soon' },
      expected: /YCPROV_REQUEST_TIMEOUT_SECONDS: `soon` is not a whole number/,
    },
  ];
  for (const { what, env, expected } of cases) {
    const { iam } = await load(env);
    assert.throws(
      () => iam.getAccount('ajeaaaaaaaaaaaaaaaaa'),
      (error) => {
        assert.equal(error.payload?.tag, 'transport', `${what}: ${error}`);
        assert.equal(error.payload.val.tag, 'denied', what);
        assert.match(error.payload.val.val, expected, what);
        return true;
      },
    );
  }
});
