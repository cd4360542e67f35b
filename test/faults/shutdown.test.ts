/**
 * Stopping never loses a refreshed token: a refresh under way when Rotor is asked to stop (the background
 * refresher's, or a request's) lands in the credential file before close() resolves, and nothing is written
 * into the folder afterwards.
 */
import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultStack, waitFor, type FaultStack } from './stack.js';

describe('shutdown', () => {
  let stack: FaultStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('waits for a refresh under way and writes the new token back before it resolves', async () => {
    const email = 'stopping@example.com';
    stack = await startFaultStack({ accounts: [{ email }] });
    await waitFor('the start-up refresh', () => stack!.sim.issuedTokens(email).length >= 1);
    const credential = stack.rotor.credentials()[0]!;
    await credential.settled(); // a refresh asked for while that one runs would join it
    const before = stack.sim.calls({ method: 'token', email }).length;
    // The token endpoint holds the next refresh until Rotor has been asked to stop.
    stack.sim.injectFault({ fault: { type: 'stall', ms: 300 }, method: 'token', email, times: 1 });
    const refreshed = credential.refresh();
    await waitFor('the refresh to reach Google', () => stack!.sim.calls({ method: 'token', email }).length > before);
    await stack.rotor.close(10_000);

    const onDisk = JSON.parse(await readFile(stack.fileOf(email), 'utf8')) as { access_token: string };
    expect(onDisk.access_token).toBe(await refreshed);
    // Nothing half-written is left behind (a temp file of an atomic write).
    expect(await readdir(stack.dir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/\.tmp$/)]));
  });
});
