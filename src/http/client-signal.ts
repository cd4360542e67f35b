import type { ServerResponse } from 'node:http';
import { ClientSignal } from '../util/call-signal.js';

/**
 * A signal for the client going away before the response is finished. The chain's own `close` listener aborts
 * it (one listener a request, not two); a client already gone when it is asked for gets it aborted at once.
 */
export function clientAbortSignal(res: ServerResponse): ClientSignal {
  const signal = new ClientSignal();
  if (res.closed && !res.writableFinished) signal.abort();
  return signal;
}
