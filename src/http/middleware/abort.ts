import type { ServerResponse } from 'node:http';

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function clientAbortSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
