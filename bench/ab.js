/**
 * An A/B of two Rotor builds: both run against one simulator, measured in interleaved windows (with the
 * minimal translator as the yardstick), so a change's effect on CPU per request shows above the noise of a
 * shared box. Keep the old build in a folder inside the checkout (its imports resolve node_modules here):
 *   cp -r dist dist-before && <change, npm run build> && node bench/ab.js --a=dist-before --b=dist
 * Options: --mode=json|stream  --route=openai|gemini  --concurrency=64  --rounds=12  --window-ms=1200
 *          --a-env=K=V,K=V  --b-env=K=V  (settings for one side only: the cost of a setting, with --a = --b)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDriver } from './lib/driver-client.js';
import * as stack from './lib/stack.js';
import { fmt } from './lib/stats.js';

const o = { type: 'string' };
const { values: v } = parseArgs({ options: { a: o, b: o, mode: { ...o, default: 'json' }, route: { ...o, default: 'openai' }, concurrency: { ...o, default: '64' }, rounds: { ...o, default: '12' }, 'window-ms': { ...o, default: '1200' }, 'a-env': o, 'b-env': o } });
const envOf = (list) => Object.fromEntries((list ?? '').split(/,(?=[A-Z_][A-Z0-9_]*=)/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
if (!v.a || !v.b) {
  console.error('usage: node bench/ab.js --a=DIST_FOLDER --b=DIST_FOLDER [--mode=json|stream] [--route=openai|gemini] [--concurrency=64] [--rounds=12]');
  process.exit(2);
}
const stream = v.mode === 'stream';
const concurrency = Number(v.concurrency);

const sim = await stack.startSimulator('simulator');
const driver = startDriver();
let folder;
try {
  const accounts = await stack.issueTokens(sim, sim.info.accounts);
  folder = await stack.writeCredentialFolder(accounts);
  const ctx = { token: accounts[0].accessToken, project: accounts[0].projectId };
  const targets = [
    { name: '(c) minimal translator', proc: await stack.startTranslator(sim, accounts[0]), kind: 'openai' },
    { name: `A ${v.a}${v['a-env'] ? ` ${v['a-env']}` : ''}`, proc: await stack.startRotor('rotor-a', sim, folder, { dist: resolve(v.a), env: envOf(v['a-env']) }), kind: v.route },
    { name: `B ${v.b}${v['b-env'] ? ` ${v['b-env']}` : ''}`, proc: await stack.startRotor('rotor-b', sim, folder, { dist: resolve(v.b), env: envOf(v['b-env']) }), kind: v.route },
  ];
  const load = (t, warmupMs, durationMs, pids) =>
    driver.run({ type: 'load', origin: t.proc.info.url, requests: [stack.requestFor(t.kind, stream, ctx)], concurrency, warmupMs, durationMs, pids });
  for (const t of targets) await load(t, 1500, 100);
  const acc = targets.map(() => ({ cpu: 0, n: 0, errors: 0 }));
  for (let round = 0; round < Number(v.rounds); round++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + round) % targets.length; // rotated, so no target always runs after the same one
      const r = await load(targets[i], 300, Number(v['window-ms']), { target: targets[i].proc.pid });
      acc[i].cpu += r.cpuMs.target;
      acc[i].n += r.completed;
      acc[i].errors += r.errors;
    }
  }
  const per = acc.map((a) => a.cpu / a.n);
  console.log(`${v.mode}, ${v.route} route, concurrency ${concurrency}, ${v.rounds} rounds`);
  targets.forEach((t, i) => console.log(`  ${t.name.padEnd(28)} ${fmt(per[i], 3)} ms CPU/request  ${fmt(per[i] / per[0])}× (c)  ${acc[i].n} requests, ${acc[i].errors} errors`));
  console.log(`  B ÷ A: ${fmt(per[2] / per[1], 3)}  (an A/A run of one build shows the noise: about ±5% with 12 rounds here)`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  driver.stop();
  await folder?.remove();
  process.exit(process.exitCode ?? 0); // the targets are killed on exit (lib/procs.js)
}
