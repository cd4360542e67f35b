/**
 * Credential faults: the token endpoint down or stalled, many concurrent refreshes of one credential, and
 * credential files deleted or corrupted while Rotor serves. No request fails while a healthy credential
 * remains; every file keeps its refresh token and the latest access token (0600, no temp files left); a
 * deleted credential stays deleted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { access, readFile, unlink, writeFile } from 'node:fs/promises';
import { ensureProject, loadCredentials } from '../../src/credentials/index.js';
import { silentLogger } from '../../src/util/log.js';
import { credentialJson, defaultProject } from '../e2e/harness.js';
import { ALL_KINDS, call, failures, storm, type Outcome } from './load.js';
import { credentialFileProblem, expectCredentialsIntact, PASSWORD, startFaultStack, waitFor, watchProcess, type FaultStack } from './stack.js';

const emails = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}@example.com`);
const exists = (path: string) => access(path).then(() => true, () => false);

/** Keeps `concurrency` requests going while `during()` runs; returns every outcome. */
async function underLoad(stack: FaultStack, concurrency: number, during: () => Promise<void>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) out.push(await call(stack, ALL_KINDS[n % ALL_KINDS.length]!, `load${n++}`));
  };
  const workers = Array.from({ length: concurrency }, worker);
  try {
    await during();
  } finally {
    running = false;
    await Promise.all(workers);
  }
  return out;
}

/** Loader options for the folder and simulator of a stopped stack, with a 500 ms bound on every token and Code Assist call. */
function quickTimeoutOptions(stack: { dir: string; sim: { tokenUrl: string; codeAssistEndpoint: string } }) {
  return {
    storagePath: stack.dir,
    clientId: 'c',
    clientSecret: 's',
    tokenUrlOverride: stack.sim.tokenUrl,
    codeAssistEndpoint: stack.sim.codeAssistEndpoint,
    logger: silentLogger,
    requestTimeoutMs: 500,
  };
}

describe('credential faults', () => {
  let stack: FaultStack | undefined;
  let proc: ReturnType<typeof watchProcess>;
  beforeAll(() => {
    proc = watchProcess();
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    expect(proc.problems).toEqual([]);
  });
  afterAll(() => proc.stop());

  it('token endpoint down for some accounts (5xx, resets): the account that can refresh serves everything', async () => {
    const all = emails('tok-', 4);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })) });
    stack.sim.injectFault({ fault: { type: 'status', status: 500 }, method: 'token', email: all[0] });
    stack.sim.injectFault({ fault: { type: 'reset' }, method: 'token', email: all[1] });
    stack.sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'token', email: all[2] });
    const outcomes = await storm(stack, 36, 6);
    expect(failures(outcomes)).toEqual([]);
    expect(stack.sim.issuedTokens(all[3]!)).toHaveLength(1);
    for (const email of all.slice(0, 3)) expect(stack.sim.issuedTokens(email)).toEqual([]);
    await expectCredentialsIntact(stack, all);
  });

  it('token endpoint down for everyone: prompt 502/503 answers (an outage, not a quota), then service resumes with tokens on disk', async () => {
    const all = emails('tokdown-', 2);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), env: { DEFAULT_COOLDOWN_MS: '200' } });
    stack.sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'token' });
    const down = await storm(stack, 12, 6);
    for (const o of down) expect([502, 503], `${o.kind}: ${o.detail}`).toContain(o.status);
    stack.sim.clearFaults();
    await waitFor('credentials to come back', () => stack!.rotor.pool.status().summary.available === 2, 3000);
    expect(failures(await storm(stack, 12, 6))).toEqual([]);
    await expectCredentialsIntact(stack, all);
  });

  it('a stalled token endpoint does not hang requests: they fail over to a credential that has a token', async () => {
    const all = emails('tokstall-', 2);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), env: { UPSTREAM_TIMEOUT_MS: '1500' } });
    // all[1] gets its token first; then all[0]'s refreshes stall for longer than the test runs: a request that
    // waited for one would never answer.
    stack.sim.injectFault({ fault: { type: 'stall', ms: 10 * 60_000 }, method: 'token', email: all[0] });
    const outcomes = await storm(stack, 12, 4);
    expect(failures(outcomes)).toEqual([]);
  });

  it('a token endpoint that never answers: the refresh gives up (requestTimeoutMs) and the credential recovers', async () => {
    const [email] = emails('hang-', 1) as [string];
    stack = await startFaultStack({ accounts: [{ email }] });
    // Only its folder and simulator are used below, once the start-up refresh has settled.
    await waitFor('the start-up refresh', () => stack!.sim.issuedTokens(email).length >= 1);
    await stack.rotor.close(1000);
    // A stall far longer than the test runs: only the refresh's own timeout can end it.
    stack.sim.injectFault({ fault: { type: 'stall', ms: 10 * 60_000 }, method: 'token', email });
    const loaded = await loadCredentials(quickTimeoutOptions(stack));
    const cred = loaded.credentials[0]!;
    // google-auth-library retries a timed-out refresh a few times, each bounded by the timeout.
    await expect(cred.refresh()).rejects.toMatchObject({ kind: 'transient' });
    // Not stuck on the abandoned refresh: once the endpoint answers, the next refresh gets a token.
    stack.sim.clearFaults();
    expect(await cred.refresh()).toBe(stack.sim.issuedTokens(email).at(-1));
    await expectCredentialsIntact(stack, [email]);
  });

  it('project discovery against a stalled Code Assist gives up (requestTimeoutMs) as a passing HTTP failure', async () => {
    const [email] = emails('disc-', 1) as [string];
    stack = await startFaultStack({ accounts: [{ email }] });
    // Once the start-up refresh is on disk, the token is fresh: only Code Assist is called below.
    await waitFor('the start-up refresh', () => stack!.sim.issuedTokens(email).length >= 1);
    await expectCredentialsIntact(stack, [email]);
    await stack.rotor.close(1000);
    // A file without a project, so ensureProject must ask Code Assist.
    const path = stack.fileOf(email);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    delete json.project_id;
    await writeFile(path, JSON.stringify(json), { mode: 0o600 });
    const options = quickTimeoutOptions(stack);
    const cred = (await loadCredentials(options)).credentials[0]!;
    stack.sim.injectFault({ fault: { type: 'stall', ms: 10 * 60_000 }, method: 'loadCodeAssist', times: 1 });
    await expect(ensureProject(cred, options)).rejects.toMatchObject({ code: 'HTTP', message: expect.stringMatching(/no answer within 500 ms/) });
    expect(await ensureProject(cred, options)).toBe(`sim-project-disc-1`);
  });

  it('concurrent requests on one stale credential share a single refresh; the file holds that token', async () => {
    const [email] = emails('single-', 1) as [string];
    stack = await startFaultStack({ accounts: [{ email }] });
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => call(stack!, ALL_KINDS[i % ALL_KINDS.length]!, `c${i}`)));
    expect(failures(outcomes)).toEqual([]);
    expect(stack.sim.issuedTokens(email)).toHaveLength(1);
    await expectCredentialsIntact(stack, [email]);
  });

  it('a refresh storm on one credential (short-lived tokens, 401s, background refresh) loses no token', async () => {
    const all = emails('rstorm-', 2);
    // Every token is inside the 5-minute refresh window, so every request refreshes; the background
    // refresher runs every 15 ms on top, and injected 401s force extra refreshes.
    stack = await startFaultStack({
      accounts: all.map((email) => ({ email })),
      sim: { accessTokenTtlSec: 60 },
      server: { refreshIntervalMs: 15 },
    });
    stack.sim.injectFault({ fault: { type: 'unauthenticated' }, email: all[0], times: 10 });
    const outcomes = await storm(stack, 90, 10);
    expect(failures(outcomes)).toEqual([]);
    for (const email of all) expect(stack.sim.issuedTokens(email).length).toBeGreaterThan(3);
    // Stop the background refresher before reading the files, so they settle on the last issued token.
    await stack.rotor.close(1000);
    await expectCredentialsIntact(stack, all);
  });

  it('a credential file deleted while serving leaves the pool and stays deleted; no request fails', async () => {
    const all = emails('del-', 3);
    // Short-lived tokens: requests refresh and write back all the time, also on the deleted credential.
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), sim: { accessTokenTtlSec: 60 } });
    const gone = all[1]!;
    // Its refreshes take 300 ms, so the file can be deleted while one is in flight (and then written back).
    stack.sim.injectFault({ fault: { type: 'stall', ms: 300 }, method: 'token', email: gone });
    const refreshes = () => stack!.sim.calls({ method: 'token', email: gone }).length;
    const outcomes = await underLoad(stack, 6, async () => {
      await waitFor('traffic on every account', () => all.every((e) => (stack!.sim.counts()[e]?.generateContent ?? 0) > 0));
      const seen = refreshes();
      await waitFor('a refresh of the doomed credential in flight', () => refreshes() > seen);
      await unlink(stack!.fileOf(gone));
      await waitFor('the deleted credential to leave the pool', () => !stack!.rotor.pool.list().some((m) => m.email === gone));
      const before = stack!.sim.calls().length;
      await waitFor('more traffic after the deletion', () => stack!.sim.calls().length > before + 30);
    });
    expect(failures(outcomes)).toEqual([]);
    await stack.rotor.rescanCredentials();
    expect(await exists(stack.fileOf(gone)), 'deleted credential file was written back').toBe(false);
    expect(stack.rotor.pool.list().map((m) => m.email).sort()).toEqual([all[0], all[2]]);
    await expectCredentialsIntact(stack, [all[0]!, all[2]!]);
  });

  it('a credential file replaced while its token refresh is in flight keeps the new credential', async () => {
    const [old, other, fresh] = emails('swap-', 3) as [string, string, string];
    // A slow watcher: the refresh finishes before Rotor notices the new file (the window a busy server has).
    stack = await startFaultStack({ accounts: [{ email: old }, { email: other }], server: { watchDebounceMs: 5_000 } });
    stack.sim.addAccount({ email: fresh });
    await waitFor('the start-up refresh', () => [old, other].every((e) => stack!.sim.issuedTokens(e).length >= 1));
    await expectCredentialsIntact(stack, [old, other]);
    // The next refresh of `old` takes 400 ms; the user drops another account's file in its place meanwhile.
    stack.sim.injectFault({ fault: { type: 'stall', ms: 400 }, method: 'token', email: old, times: 1 });
    const credential = stack.rotor.credentials().find((c) => c.email === old)!;
    // The simulator has issued the start-up token, but on a loaded host Rotor may still be taking it in: a refresh
    // asked for meanwhile would join that one and never reach the token endpoint.
    await credential.settled();
    const pending = credential.refresh();
    // At least: on a loaded host the start-up refresh may have been tried again meanwhile.
    await waitFor('the refresh to reach the token endpoint', () => stack!.sim.calls({ method: 'token', email: old }).length >= 2, 15_000);
    await writeFile(stack.fileOf(old), JSON.stringify(credentialJson({ email: fresh }, defaultProject(fresh))), { mode: 0o600 });
    await pending.catch(() => undefined);
    await stack.rotor.rescanCredentials();
    const saved = JSON.parse(await readFile(stack.fileOf(old), 'utf8')) as { refresh_token: string };
    expect(saved.refresh_token, 'the new credential file was overwritten').toBe(`1//sim-refresh-${fresh}`);
    await waitFor('the new credential to be served', () => stack!.rotor.pool.list().some((m) => m.email === fresh));
    expect(failures(await storm(stack, 6, 3))).toEqual([]);
  });

  it('a credential file corrupted while serving: the credential keeps serving from memory and its file is repaired', async () => {
    const all = emails('cor-', 3);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })), sim: { accessTokenTtlSec: 60 } });
    const broken = all[2]!;
    const outcomes = await underLoad(stack, 6, async () => {
      await waitFor('traffic on every account', () => all.every((e) => (stack!.sim.counts()[e]?.generateContent ?? 0) > 0));
      await writeFile(stack!.fileOf(broken), '{"refresh_token": "1//trunc', { mode: 0o600 });
      await stack!.rotor.rescanCredentials();
      const before = stack!.sim.calls({ email: broken }).length;
      await waitFor('the corrupted credential to keep serving', () => stack!.sim.calls({ email: broken }).length > before + 5);
    });
    expect(failures(outcomes)).toEqual([]);
    expect(stack.rotor.pool.size).toBe(3);
    // The next write-back (every request refreshes here) rewrote the file whole, with the latest token.
    await stack.rotor.close(1000);
    expect(await credentialFileProblem(stack, broken)).toBeUndefined();
    await expectCredentialsIntact(stack, all);
  });

  it('a corrupted file that is repaired no longer shows as a load error', async () => {
    const all = emails('rep-', 2);
    stack = await startFaultStack({ accounts: all.map((email) => ({ email })) });
    // Let the start-up refresh write both files first, so that no write-back races the edits below.
    await waitFor('the start-up refresh', () => all.every((e) => stack!.sim.issuedTokens(e).length >= 1));
    await expectCredentialsIntact(stack, all);
    const path = stack.fileOf(all[0]!);
    const good = await readFile(path, 'utf8');
    await writeFile(path, 'not json at all', { mode: 0o600 });
    await stack.rotor.rescanCredentials();
    const status = async () =>
      (await (await fetch(`${stack!.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${PASSWORD}` } })).json()) as {
        load_errors: Array<{ source: string }>;
      };
    expect((await status()).load_errors.map((e) => e.source)).toEqual([`oauth_creds_${all[0]}.json`]);
    await writeFile(path, good, { mode: 0o600 });
    await stack.rotor.rescanCredentials();
    expect((await status()).load_errors).toEqual([]);
    expect(failures(await storm(stack, 6, 3))).toEqual([]);
  });
});
