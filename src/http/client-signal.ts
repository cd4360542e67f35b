import type { ServerResponse } from 'node:http';
import { ClientSignal } from '../util/call-signal.js';

/** A signal that fires when the client goes away before the response is finished. */
export function clientAbortSignal(res: ServerResponse): ClientSignal {
  const signal = new ClientSignal();
  if (res.closed) {
    // Gone already (while the body was parsed or media fetched): the 'close' event will not come again.
    if (!res.writableFinished) signal.abort();
    return signal;
  }
  res.on('close', () => {
    if (!res.writableFinished) signal.abort();
  });
  return signal;
}
