/** `rotor import` against the simulator: formats, lists, discovery, failures and exit codes. */
import { afterEach, describe, expect, it } from 'vitest';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runImport } from '../../src/cli/import.js';
import { silentLogger } from '../../src/util/log.js';
import { startStack, type Stack } from '../e2e/harness.js';
import { loginConfig, waitFor } from './helpers.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function importFiles(files: string[], project?: string): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runImport(loginConfig(stack!), silentLogger, { files, project, print: (l) => lines.push(l), onboardPollIntervalMs: 10 });
  return { code, lines };
}

describe('rotor import', () => {
  it('imports a gemini-cli oauth_creds.json (no email, no project) and the running server serves it', async () => {
    stack = await startStack({ accounts: [] });
    stack.sim.addAccount({ email: 'cli@example.com', onboarded: false, projectId: 'cli-managed' });
    const src = join(stack.dir, 'gemini-cli-creds.json');
    // gemini-cli's own file: access token expired, no email, no project.
    await writeFile(src, JSON.stringify({ access_token: 'ya29.old', refresh_token: '1//sim-refresh-cli@example.com', scope: 'https://www.googleapis.com/auth/cloud-platform', token_type: 'Bearer', expiry_date: 1 }));
    const { code, lines } = await importFiles([src]);
    expect(code).toBe(0);
    expect(lines[0]).toBe(`${src}: imported as oauth_creds_cli@example.com_cli-managed.json (cli@example.com, project cli-managed)`);
    const file = join(stack.dir, 'oauth_creds_cli@example.com_cli-managed.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ refresh_token: '1//sim-refresh-cli@example.com', email: 'cli@example.com', project_id: 'cli-managed' });
    expect(saved.access_token).toBe(stack.sim.issuedTokens('cli@example.com')[0]);
    expect(lines.join('\n')).not.toMatch(/1\/\/sim-refresh|ya29/);

    await waitFor(() => stack!.rotor.pool.size === 1);
    await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(stack.sim.counts()['cli@example.com']?.generateContent).toBe(1);
  });

  it('imports a JSON list, reports each entry, exits 1 when some fail, and replaces on re-import', async () => {
    stack = await startStack({ accounts: [] });
    stack.sim.addAccount({ email: 'l1@example.com' });
    stack.sim.addAccount({ email: 'gone@example.com', revoked: true });
    const src = join(stack.dir, 'list.json');
    const list = [
      // authorized_user style, keeping its own OAuth client.
      { client_id: 'other-client', client_secret: 'other-secret', token: 'ya29.x', refresh_token: '1//sim-refresh-l1@example.com', expiry: '2020-01-01T00:00:00Z', project_id: 'chosen-project', email: 'l1@example.com' },
      { refresh_token: '1//sim-refresh-gone@example.com', email: 'gone@example.com' },
      { access_token: 'ya29.no-refresh' },
    ];
    await writeFile(src, JSON.stringify(list));
    const { code, lines } = await importFiles([src]);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/\[0\]: imported as oauth_creds_l1@example.com_chosen-project\.json/);
    expect(lines[1]).toMatch(/\[1\]: not imported: .*invalid_grant/);
    expect(lines[2]).toMatch(/\[2\]: not imported: missing refresh_token/);
    expect(lines[3]).toMatch(/^1 of 3 credential\(s\) imported/);
    const saved = JSON.parse(await readFile(join(stack.dir, 'oauth_creds_l1@example.com_chosen-project.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ client_id: 'other-client', client_secret: 'other-secret', project_id: 'chosen-project' });
    expect(saved.token).toBeUndefined(); // canonical: gemini-cli field names

    // Again, with --project: the account's file is replaced, not duplicated.
    const again = await importFiles([src], 'another-project');
    expect(again.lines[0]).toMatch(/imported as oauth_creds_l1@example.com_another-project\.json .*replacing oauth_creds_l1@example.com_chosen-project\.json/);
    expect((await readdir(stack.dir)).filter((f) => f.startsWith('oauth_creds'))).toEqual(['oauth_creds_l1@example.com_another-project.json']);
  });

  it('explains a missing file, bad JSON and usage errors', async () => {
    stack = await startStack({ accounts: [] });
    const bad = join(stack.dir, 'bad.json');
    await writeFile(bad, '{ "refresh_token": "1//secret-looking-value", ');
    const r = await importFiles([bad, '/nonexistent/oauth_creds.json']);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/not imported: invalid JSON/);
    expect(r.lines[0]).not.toContain('secret-looking');
    expect(r.lines[1]).toMatch(/not imported: no such file/);
    expect((await importFiles([])).code).toBe(2);
    const numeric = await importFiles([bad], '12345');
    expect(numeric.code).toBe(2);
    expect(numeric.lines[0]).toMatch(/project number/);
  });
});
