/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) by where the time goes: each sample is charged to the nearest
 * frame on its stack that belongs to Rotor's dist/ or to a package, else to Node's core module at the leaf.
 * Used by `--profile` to show what a request costs inside Rotor.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, table } from './stats.js';

function owner(url) {
  if (url.includes('/dist/')) return `rotor: ${url.split('/dist/')[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `package: ${pkg[1]}`;
  return undefined;
}

export function summarizeProfile(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return 'no .cpuprofile was written';
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const charged = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const leaf = nodes.get(id).callFrame;
    if (leaf.functionName === '(idle)') continue;
    busy += us;
    let key = ['(garbage collector)', '(program)'].includes(leaf.functionName) ? leaf.functionName : undefined;
    for (let cur = id; key === undefined && cur !== undefined; cur = parent.get(cur)) key = owner(nodes.get(cur).callFrame.url);
    key ??= `node: ${leaf.url || leaf.functionName}`;
    charged.set(key, (charged.get(key) ?? 0) + us);
  }
  const rows = [...charged]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, us]) => [k, `${fmt((100 * us) / busy, 1)}%`]);
  return table(['charged to', 'share of busy CPU'], rows);
}
