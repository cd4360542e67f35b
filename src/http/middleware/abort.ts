import type { Response } from 'express';

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function clientAbortSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
