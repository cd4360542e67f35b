/**
 * Drops an HTTP answer's body that will not be read to its end. undici reports a body destroyed before its end
 * as an error ("Request aborted") on the stream itself, a tick later; with nobody listening, that error would
 * end the process. So a listener goes on first.
 */
export function dropBody(body: { destroyed: boolean; on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  if (body.destroyed) return;
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {}
