import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadCredentials,
  watchCredentialFolder,
  type CredentialsOptions,
  type FolderWatch,
  type LoadResult,
  type OAuthCredential,
} from '../../src/credentials/index.js';
import { silentLogger } from '../../src/util/log.js';
import { startFakeServer, tokenReply, type FakeServer, type Reply } from './fake-server.js';

let dir: string;
let server: FakeServer;
let reply: (index: number) => Reply;
let watches: FolderWatch[];
let fifos: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-watch-'));
  reply = (i) => tokenReply(i);
  watches = [];
  fifos = [];
  server = await startFakeServer((_call, i) => reply(i));
});
afterEach(async () => {
  for (const w of watches) w.close();
  // A read stuck on a FIFO (the defect) would keep the worker alive: give it a writer, so it ends.
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      /* no reader waiting */
    }
  }
  await server.close();
});

const opts = (): CredentialsOptions => ({
  storagePath: dir,
  clientId: 'c',
  clientSecret: 's',
  tokenUrlOverride: `${server.url}/token`,
  codeAssistEndpoint: 'http://127.0.0.1:1',
  logger: silentLogger,
});

const file = (name: string) => join(dir, name);
const credJson = (refresh: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ access_token: 'ya29.stale-access-token', refresh_token: refresh, expiry_date: 1, ...extra });
const onDisk = async (name: string) => JSON.parse(await readFile(file(name), 'utf8')) as Record<string, unknown>;

/** A watcher over a Map standing in for the pool, recording what it is told. */
function startWatch(loaded: LoadResult) {
  const pool = new Map<string, OAuthCredential>(loaded.credentials.map((c) => [c.id, c]));
  const events: string[] = [];
  const errors = new Map<string, string>(loaded.errors.map((e) => [e.source, e.reason]));
  const watch = watchCredentialFolder(
    opts(),
    (id) => pool.get(id),
    {
      upsert: (c, isNew) => (pool.set(c.id, c), errors.delete(c.id), events.push(`${isNew ? 'add' : 'change'} ${c.id}`)),
      remove: (id) => (pool.delete(id), events.push(`remove ${id}`)),
      error: (f, reason) => (errors.set(f, reason), events.push(`error ${f}`)),
      resolved: (f) => (errors.delete(f), events.push(`resolved ${f}`)),
    },
    { debounceMs: 60_000, initial: loaded.files },
  );
  watches.push(watch);
  return { watch, pool, events, errors };
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms).unref())]);

describe('watchCredentialFolder', () => {
  it("takes Rotor's own write-backs for nothing new, but applies an outside change", async () => {
    reply = (i) => tokenReply(i, { refresh_token: `1//0gRotated-${i}-abcdefgh` });
    await writeFile(file('oauth_creds_a.json'), credJson('1//0gOriginal-abcdefgh'));
    const loaded = await loadCredentials(opts());
    const { watch, events } = startWatch(loaded);
    const cred = loaded.credentials[0]!;
    await watch.rescan();
    await cred.setProjectId('discovered');
    await watch.rescan();
    await cred.refresh(); // rotates the refresh token, written back
    await watch.rescan();
    expect(events).toEqual([]); // the pool keeps this credential's cooldown and disable state
    expect(await onDisk('oauth_creds_a.json')).toMatchObject({ refresh_token: '1//0gRotated-0-abcdefgh', project_id: 'discovered' });

    await writeFile(file('oauth_creds_a.json'), credJson('1//0gAfterRelogin-abcdefgh', { project_id: 'discovered' }));
    await watch.rescan();
    expect(events).toEqual(['change oauth_creds_a.json']);
  });

  it('does not take back a refresh token the credential rotated away from; the rotated one stays on disk', async () => {
    reply = (i) => tokenReply(i, { refresh_token: `1//0gRotated-${i}-abcdefgh` });
    const stale = credJson('1//0gOriginal-abcdefgh');
    await writeFile(file('oauth_creds_a.json'), stale);
    const loaded = await loadCredentials(opts());
    const { watch, events } = startWatch(loaded);
    const cred = loaded.credentials[0]!;
    await cred.refresh();
    // The file as a scan read it just before the write-back landed (or as a stale copy puts it back).
    await writeFile(file('oauth_creds_a.json'), stale);
    await watch.rescan();
    expect(events).toEqual([]);
    await expect.poll(async () => (await onDisk('oauth_creds_a.json')).refresh_token).toBe('1//0gRotated-0-abcdefgh');
    await cred.refresh();
    expect(server.calls.map((c) => c.form.refresh_token)).toEqual(['1//0gOriginal-abcdefgh', '1//0gRotated-0-abcdefgh']);
  });

  it('holds back a file with the refresh token of a served one, as start-up does', async () => {
    await writeFile(file('oauth_creds_a.json'), credJson('1//0gShared-abcdefgh'));
    const loaded = await loadCredentials(opts());
    const { watch, pool, events, errors } = startWatch(loaded);
    await copyFile(file('oauth_creds_a.json'), file('oauth_creds_a_backup.json'));
    await watch.rescan();
    expect([...pool.keys()]).toEqual(['oauth_creds_a.json']);
    expect(events).toEqual(['error oauth_creds_a_backup.json']);
    expect(errors.get('oauth_creds_a_backup.json')).toBe('same refresh token as oauth_creds_a.json; skipped');
    await watch.rescan();
    expect(events).toHaveLength(1); // not reported again while nothing changes

    // A served file overwritten with another served file's credential leaves the pool the same way.
    await writeFile(file('oauth_creds_b.json'), credJson('1//0gOther-abcdefgh'));
    await watch.rescan();
    await copyFile(file('oauth_creds_a.json'), file('oauth_creds_b.json'));
    await watch.rescan();
    expect([...pool.keys()]).toEqual(['oauth_creds_a.json']);
    expect(errors.get('oauth_creds_b.json')).toBe('same refresh token as oauth_creds_a.json; skipped');
  });

  it('reports a FIFO named like a credential instead of hanging on it, also when writing back', async () => {
    if (process.platform === 'win32') return;
    await writeFile(file('oauth_creds_a.json'), credJson('1//0gServed-abcdefgh'));
    const loaded = await loadCredentials(opts());
    const { watch, pool, errors } = startWatch(loaded);
    fifos.push(file('oauth_creds_0pipe.json'));
    execFileSync('mkfifo', [file('oauth_creds_0pipe.json')]);
    await writeFile(file('oauth_creds_1real.json'), credJson('1//0gReal-abcdefgh'));
    await within(watch.rescan(), 3000);
    expect(errors.get('oauth_creds_0pipe.json')).toBe('not a regular file');
    expect([...pool.keys()].sort()).toEqual(['oauth_creds_1real.json', 'oauth_creds_a.json']);

    // The served credential's file becomes a FIFO: its write-back check must not block either.
    await unlink(file('oauth_creds_a.json'));
    fifos.push(file('oauth_creds_a.json'));
    execFileSync('mkfifo', [file('oauth_creds_a.json')]);
    expect(await within(loaded.credentials[0]!.refresh(), 3000)).toBe('ya29.fresh-token-0');
    expect((await stat(file('oauth_creds_a.json'))).isFile()).toBe(true); // rewritten whole: nothing lost
    expect((await onDisk('oauth_creds_a.json')).refresh_token).toBe('1//0gServed-abcdefgh');
  });

  it('applies what changed between the loader and the watcher, and serves a held-back duplicate once its original goes', async () => {
    await writeFile(file('oauth_creds_a.json'), credJson('1//0gShared-abcdefgh'));
    await writeFile(file('oauth_creds_b.json'), credJson('1//0gShared-abcdefgh')); // a start-up duplicate of a
    await writeFile(file('oauth_creds_d.json'), credJson('1//0gDdddd-abcdefgh'));
    await writeFile(file('oauth_creds_e.json'), credJson('1//0gEeeee-abcdefgh'));
    const loaded = await loadCredentials(opts());
    expect(loaded.errors.map((e) => e.source)).toEqual(['oauth_creds_b.json']);
    // Start-up goes on (API keys, state file) before the watcher starts; meanwhile the folder changes.
    await writeFile(file('oauth_creds_c.json'), credJson('1//0gCcccc-abcdefgh'));
    await writeFile(file('oauth_creds_d.json'), credJson('1//0gDdddd-relogin-abcdefgh'));
    await unlink(file('oauth_creds_e.json'));
    const { watch, pool, events, errors } = startWatch(loaded);
    await watch.rescan();
    expect(events.sort()).toEqual(['add oauth_creds_c.json', 'change oauth_creds_d.json', 'remove oauth_creds_e.json']);
    expect([...pool.keys()].sort()).toEqual(['oauth_creds_a.json', 'oauth_creds_c.json', 'oauth_creds_d.json']);

    events.length = 0;
    await unlink(file('oauth_creds_a.json'));
    await watch.rescan();
    expect(events).toEqual(['remove oauth_creds_a.json', 'add oauth_creds_b.json']);
    expect(errors.has('oauth_creds_b.json')).toBe(false);
  });
});
