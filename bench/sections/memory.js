/**
 * Section "memory": resident memory from /proc/<pid>/status (VmRSS now, VmHWM peak), each target in a fresh
 * process.
 *   open streams: idle → N streams held open at once (slow upstream: one event a second) → released.
 *   leak: Rotor serves `requests` requests (JSON and SSE, OpenAI and Gemini routes, fast upstream) with RSS
 *   sampled along the way; after warm-up the curve should be flat.
 */
import * as stack from '../lib/stack.js';
import { memory } from '../lib/proc-stats.js';
import { fmt, median, table } from '../lib/stats.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function settle(proc, ms = 1500) {
  await sleep(ms);
  return memory(proc.pid);
}

/** Holds `count` streams open through each target; returns rows per target. */
export async function measureOpenStreams(opts, driver, log) {
  const slow = { latencyMs: 20, streamEvents: 60, streamIntervalMs: 1000 };
  const sim = await stack.startSimulator('simulator-slow', { accounts: 3, apiKeys: 1, ...slow });
  const accounts = await stack.issueTokens(sim, sim.info.accounts);
  const folder = await stack.writeCredentialFolder(accounts);
  const ctx = { token: accounts[0].accessToken, project: accounts[0].projectId, portkey: { url: sim.info.url, key: sim.info.apiKeys?.[0]?.key } };
  const rows = [];
  const plans = [
    { id: 'b', name: '(b) undici pass-through', kind: 'code-assist', start: () => stack.startPassthrough(sim.info.url) },
    { id: 'c', name: '(c) minimal translator', kind: 'openai', start: () => stack.startTranslator(sim, accounts[0]) },
    { id: 'd1', name: '(d) Rotor /v1/chat/completions', kind: 'openai', start: () => stack.startRotor('rotor', sim, folder) },
    { id: 'e', name: '(e) Portkey gateway', kind: 'portkey', start: () => stack.startPortkey() },
  ].filter((p) => opts.targets.includes(p.id) && (p.id !== 'e' || opts.portkeyAvailable));
  try {
    for (const plan of plans) {
      let proc;
      try {
        proc = await plan.start();
        const idle = await settle(proc, 1000);
        const held = await driver.run({ type: 'hold', origin: proc.info.url, request: stack.requestFor(plan.kind, true, ctx), count: opts.streams, timeoutMs: 30_000 });
        const open = memory(proc.pid);
        await driver.run({ type: 'release' });
        const after = await settle(proc);
        rows.push({ ...plan, idle, open, after, held: { ...held, ttfbP50: median(held.ttfbs), ttfbs: undefined } });
        log(`  ${plan.name}: ${held.open}/${opts.streams} open, RSS ${fmt(open.rssMb, 1)} MB`);
      } catch (err) {
        rows.push({ ...plan, error: err.message.split('\n')[0] });
        log(`  ${plan.name}: ${err.message.split('\n')[0]}`);
      } finally {
        await proc?.stop();
      }
    }
  } finally {
    await sim.stop();
    await folder.remove();
  }
  return rows;
}


/** Rotor under `opts.requests` requests; RSS sampled every tenth. */
export async function measureLeak(opts, driver, log) {
  const sim = await stack.startSimulator('simulator-fast', { accounts: 3, latencyMs: 0, streamEvents: 20, streamIntervalMs: 0 });
  const accounts = await stack.issueTokens(sim, sim.info.accounts);
  const folder = await stack.writeCredentialFolder(accounts);
  let rotor;
  try {
    rotor = await stack.startRotor('rotor', sim, folder);
    const idle = await settle(rotor, 1000);
    const requests = [false, true].flatMap((stream) => [stack.requestFor('openai', stream, {}), stack.requestFor('gemini', stream, {})]);
    const every = Math.max(1, Math.floor(opts.requests / 10));
    const r = await driver.run({
      type: 'load',
      origin: rotor.info.url,
      requests,
      concurrency: 64,
      warmupMs: 0,
      durationMs: opts.leakTimeoutMs,
      maxRequests: opts.requests,
      pids: { target: rotor.pid },
      checkpoints: { every, pid: rotor.pid },
    });
    const after = await settle(rotor, 2000);
    log(`  ${r.completed + r.errors} requests in ${fmt(r.seconds, 1)} s, RSS ${fmt(after.rssMb, 1)} MB`);
    return { idle, after, checkpoints: r.checkpoints, completed: r.completed, errors: r.errors, errorSample: r.errorSample, seconds: r.seconds, cpuPerReq: r.cpuMs.target / r.completed };
  } finally {
    await rotor?.stop();
    await sim.stop();
    await folder.remove();
  }
}

/** Growth between the second checkpoint (warmed up) and the last, in MB. */
/**
 * How much the RSS floor rose: the lowest reading of the last third of checkpoints minus the lowest of the
 * first third (the first checkpoint, still warming up, left out). A leak raises the floor; where V8 happens to
 * be in its collection cycle at one checkpoint moves single readings by tens of MB.
 */
export function leakGrowth(leak) {
  const cps = (leak?.checkpoints ?? []).slice(1).map((c) => c.rssMb);
  if (cps.length < 3) return NaN;
  const third = Math.max(1, Math.floor(cps.length / 3));
  return Math.min(...cps.slice(-third)) - Math.min(...cps.slice(0, third));
}

export function renderMemory(open, leak, opts) {
  const out = [];
  if (open) {
    out.push(`### ${opts.streams.toLocaleString('en-US')} concurrent open streams (upstream: 60 events 1 s apart)\n`);
    const rows = open.map((r) =>
      r.error
        ? [r.name, '–', '–', '–', '–', '–', '–', r.error]
        : [
            r.name,
            fmt(r.idle.hwmMb, 1),
            fmt(r.open.rssMb, 1),
            fmt(r.open.hwmMb, 1),
            fmt(((r.open.rssMb - r.idle.rssMb) * 1024) / opts.streams, 1),
            fmt(r.after.rssMb, 1),
            `${r.held.open}/${opts.streams}${r.held.failed ? ` (${r.held.failed} failed: ${r.held.failSample})` : ''}`,
            `${fmt(r.held.openingMs / 1000, 1)} s, TTFB p50 ${fmt(r.held.ttfbP50, 0)} ms`,
          ],
    );
    out.push(table(['target', 'idle peak RSS MB', 'RSS open MB', 'peak RSS MB', 'KB per request in flight', 'RSS after release MB', 'streams open', 'opening'], rows));
    out.push('');
  }
  if (leak) {
    out.push(`### Rotor after ${leak.completed.toLocaleString('en-US')} requests (JSON + SSE, OpenAI + Gemini routes, concurrency 64)\n`);
    const rows = [['idle', '0', fmt(leak.idle.rssMb, 1), fmt(leak.idle.hwmMb, 1)]];
    for (const c of leak.checkpoints) rows.push([`after ${c.completed.toLocaleString('en-US')}`, fmt(c.seconds, 1), fmt(c.rssMb, 1), fmt(c.hwmMb, 1)]);
    rows.push(['2 s after the last', fmt(leak.seconds + 2, 1), fmt(leak.after.rssMb, 1), fmt(leak.after.hwmMb, 1)]);
    out.push(table(['point', 'at s', 'RSS MB', 'peak RSS MB'], rows));
    out.push(
      `\nGrowth of the RSS floor (lowest of the last third of checkpoints minus lowest of the first third, after the first): ${fmt(leakGrowth(leak), 1)} MB; ${leak.errors} errors${leak.errorSample ? ` (${leak.errorSample})` : ''}; Rotor CPU ${fmt(leak.cpuPerReq, 3)} ms/request.`,
    );
    out.push('');
  }
  return out.join('\n');
}
