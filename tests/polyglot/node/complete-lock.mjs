// Completes package-lock.json after `npm install`: run `node complete-lock.mjs`.
//
// The npm registry these machines reach lacks some platform-specific binaries that
// jco's dependencies declare as optional (other OS/CPU/libc builds). `npm install`
// leaves them out of the lock, and `npm ci` then rejects the lock as out of sync.
// This adds each missing optional dependency as an optional entry at the exact
// version its parent pins; `npm ci` skips it when it cannot be had.

import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('./package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = { ...lock.packages };
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (!packages[key]) {
      packages[key] = { version, dev: entry.dev, optional: true };
      console.log(`added ${name}@${version}`);
    }
  }
}
const [root, ...rest] = Object.keys(packages);
lock.packages = Object.fromEntries([root, ...rest.sort((a, b) => a.localeCompare(b, 'en'))].map((key) => [key, packages[key]]));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
