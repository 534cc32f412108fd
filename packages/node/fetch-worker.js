// The worker thread behind SyncFetcher: performs one fetch per message and wakes the
// blocked main thread through the shared signal cell once the reply is posted.

import { workerData } from 'node:worker_threads';

const { signalBuffer, port } = workerData;
const signal = new Int32Array(signalBuffer);

port.on('message', async (request) => {
  let reply;
  try {
    reply = { id: request.id, response: await perform(request) };
  } catch (error) {
    reply = { id: request.id, error: describe(error) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

/** Sends the request (never following redirects) and reads at most `maxBytes` of the body. */
async function perform({ url, method, headers, body, timeoutMs, maxBytes }) {
  const response = await fetch(url, {
    method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const chunks = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        return { tooLarge: true };
      }
      chunks.push(chunk);
    }
  }
  return {
    status: response.status,
    headers: [...response.headers],
    body: new Uint8Array(Buffer.concat(chunks)),
  };
}

/** A transport failure as plain data: `{ kind: 'timeout' | 'unreachable' | 'other', message }`. */
function describe(error) {
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') {
    return { kind: 'timeout', message: 'no response in time' };
  }
  const cause = error?.cause;
  if (error instanceof TypeError && cause) {
    return { kind: 'unreachable', message: [cause.code, cause.message].filter(Boolean).join(': ') };
  }
  return { kind: 'other', message: String(error?.message ?? error) };
}
