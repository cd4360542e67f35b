/**
 * Shutdown: once a server is draining, each response Rotor writes says Connection: close, so a keep-alive
 * client gets its answer (one in flight at SIGTERM included) and a connection it knows not to reuse, instead
 * of one Node closes under its next request. The flag lives on the server (tests run several in a process)
 * and is read where Rotor writes headers; tracking every response for this cost ~10% of a request's CPU.
 */
import type { Server, ServerResponse } from 'node:http';

const DRAINING = Symbol('rotor.draining');

type Flagged = { [DRAINING]?: boolean };

export function markDraining(server: Server): void {
  (server as Server & Flagged)[DRAINING] = true;
}

/** Call just before a response's headers go out. */
export function closeIfDraining(res: ServerResponse): void {
  const server = (res.socket as { server?: Flagged } | null)?.server;
  if (server?.[DRAINING] === true && !res.headersSent) res.setHeader('Connection', 'close');
}
