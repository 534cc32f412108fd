// Synchronous HTTP for synchronous component imports: a worker thread runs `fetch`
// while the calling thread blocks on a shared memory cell (Atomics.wait) and then
// takes the reply off a MessagePort with receiveMessageOnPort.

import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

/** Blocks the calling thread for each request; one request at a time. */
export class SyncFetcher {
  constructor() {
    this.signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.nextId = 1;
    this.worker = new Worker(new URL('./fetch-worker.js', import.meta.url), {
      workerData: { signalBuffer: this.signal.buffer, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /**
   * Performs `{ url, method, headers, body }` and returns `{ response }` with
   * `{ status, headers, body }` or `{ tooLarge: true }`, or `{ error: { kind, message } }`.
   */
  fetch(request, { timeoutMs, maxBytes }) {
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage({ ...request, id, timeoutMs, maxBytes });
    const deadline = Date.now() + timeoutMs + 1000;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, 0, left) === 'timed-out') {
        return { error: { kind: 'timeout', message: 'no response in time' } };
      }
      Atomics.store(this.signal, 0, 0);
      let reply;
      while ((reply = receiveMessageOnPort(this.port))) {
        if (reply.message.id === id) {
          return reply.message;
        }
      }
    }
  }

  /** Stops the worker thread. */
  close() {
    this.port.close();
    return this.worker.terminate();
  }
}
