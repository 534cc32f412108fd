// Starts target/debug/yc-emulator on a free port and reads its start line.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Spawns the emulator binary; resolves to its start line
 * (`endpoint`, `folder_id`, `token`, …) plus `state()` and `stop()`.
 */
export async function startEmulator(binary) {
  const child = spawn(binary, ['--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${binary} exited with ${code} before it started`)));
    lines.once('line', resolve);
  });
  const info = JSON.parse(first);
  return {
    ...info,
    /** GET /_emulator/state: `{ service_accounts, folder_bindings, api_keys }`. */
    async state() {
      const response = await fetch(`${info.endpoint}/_emulator/state`);
      if (!response.ok) {
        throw new Error(`GET /_emulator/state: ${response.status}`);
      }
      return response.json();
    },
    stop() {
      lines.close();
      child.kill();
    },
  };
}
