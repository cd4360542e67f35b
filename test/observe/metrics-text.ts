/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for the tests: it throws, naming the line,
 * on anything Prometheus would reject or that breaks the format's rules (names, label syntax and escapes, values,
 * HELP/TYPE once and before the samples, a family's samples in one group, no repeated series, histograms' and
 * summaries' sample names and labels, cumulative buckets ending in +Inf = _count).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class ParseError extends Error {}

/** A float as Go's strconv.ParseFloat reads it (what Prometheus uses): decimal, exponent, Inf/NaN in any case. */
export function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new ParseError(`not a number: "${text}"`);
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (all, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : all));
}

/** Reads `{a="x",b="y"}` from `line` at `i` (just past `{`); returns the labels and the index past `}`. */
function readLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '}') return [labels, i + 1];
    const nameStart = i;
    while (i < line.length && /[a-zA-Z0-9_]/.test(line[i]!)) i++;
    const name = line.slice(nameStart, i);
    if (!LABEL_NAME.test(name)) throw new ParseError(`bad label name "${name}"`);
    if (name.startsWith('__')) throw new ParseError(`reserved label name "${name}"`);
    if (name in labels) throw new ParseError(`label "${name}" twice`);
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '=') throw new ParseError(`expected = after label "${name}"`);
    i++;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '"') throw new ParseError(`expected " to open the value of label "${name}"`);
    i++;
    let value = '';
    for (;;) {
      if (i >= line.length) throw new ParseError(`unterminated value of label "${name}"`);
      const c = line[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else throw new ParseError(`bad escape \\${e ?? ''} in label "${name}"`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] !== '}') throw new ParseError(`expected , or } after label "${name}"`);
  }
}

function parseSample(line: string): Sample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) throw new ParseError(`bad metric name "${name}"`);
  let labels: Record<string, string> = {};
  if (line[i] === '{') [labels, i] = readLabels(line, i + 1);
  const rest = line.slice(i);
  if (!/^[ \t]/.test(rest)) throw new ParseError('expected a space before the value');
  const parts = rest.trim().split(/[ \t]+/);
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new ParseError(`expected "value [timestamp]", found "${rest.trim()}"`);
  const sample: Sample = { name, labels, value: parseValue(parts[0]!) };
  if (parts[1] !== undefined) {
    if (!/^-?\d+$/.test(parts[1])) throw new ParseError(`bad timestamp "${parts[1]}"`);
    sample.timestamp = Number(parts[1]);
  }
  return sample;
}

/** The family a sample belongs to, given the families declared so far. */
function familyOf(name: string, declared: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = declared.get(base)?.type;
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return name;
}

const seriesKey = (s: Sample) => `${s.name}{${Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')}}`;

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new ParseError('the last line must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const typed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  lines.pop();
  const open = (name: string) => {
    if (current === name) return;
    if (closed.has(name)) throw new ParseError(`the lines of ${name} are not in one group`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  lines.forEach((line, n) => {
    try {
      if (line.trim() === '') return;
      if (line.startsWith('#')) {
        const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
        if (!m) return; // a comment
        const [, keyword, name, rest = ''] = m;
        if (!METRIC_NAME.test(name!)) throw new ParseError(`bad metric name "${name}"`);
        open(name!);
        let f = families.get(name!);
        if (!f) families.set(name!, (f = { name: name!, type: 'untyped', help: undefined, samples: [] }));
        if (keyword === 'HELP') {
          if (f.help !== undefined) throw new ParseError(`a second HELP for ${name}`);
          f.help = unescapeHelp(rest);
        } else {
          if (typed.has(name!)) throw new ParseError(`a second TYPE for ${name}`);
          if (f.samples.length > 0) throw new ParseError(`TYPE for ${name} after its samples`);
          if (!TYPES.has(rest.trim() as MetricType)) throw new ParseError(`unknown type "${rest}"`);
          f.type = rest.trim() as MetricType;
          typed.add(name!);
        }
        return;
      }
      const sample = parseSample(line);
      const name = familyOf(sample.name, families);
      open(name);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
      const key = seriesKey(sample);
      if (series.has(key)) throw new ParseError(`series ${key} twice`);
      series.add(key);
      if (f.type === 'histogram') {
        if (sample.name === `${name}_bucket`) {
          if (sample.labels.le === undefined) throw new ParseError(`${sample.name} without le`);
          parseValue(sample.labels.le);
        } else if ('le' in sample.labels) throw new ParseError(`${sample.name} with le`);
        if (sample.name === name) throw new ParseError(`histogram ${name} has a bare sample`);
      } else if (f.type === 'summary') {
        if (sample.name === name && sample.labels.quantile === undefined) throw new ParseError(`${name} without quantile`);
      } else if ('le' in sample.labels && f.type !== 'untyped') {
        throw new ParseError(`le on a ${f.type}`);
      }
      if (f.type === 'counter' && !(sample.value >= 0)) throw new ParseError(`counter ${name} is ${sample.value}`);
      f.samples.push(sample);
    } catch (err) {
      if (err instanceof ParseError) throw new ParseError(`line ${n + 1}: ${err.message}: ${line}`);
      throw err;
    }
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Per label set: buckets sorted by le, cumulative, an +Inf bucket equal to _count, and a _sum. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey({ name: '', labels: rest, value: 0 });
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name.endsWith('_bucket')) g.buckets.push([parseValue(le!), s.value]);
    else if (s.name.endsWith('_sum')) g.sum = s.value;
    else g.count = s.value;
  }
  for (const [key, g] of groups) {
    const where = `histogram ${f.name}${key}`;
    if (g.count === undefined || g.sum === undefined) throw new ParseError(`${where}: no _count or _sum`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0])) throw new ParseError(`${where}: buckets not in increasing le`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new ParseError(`${where}: buckets not cumulative`);
    }
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new ParseError(`${where}: no +Inf bucket`);
    if (last[1] !== g.count) throw new ParseError(`${where}: +Inf bucket ${last[1]} ≠ _count ${g.count}`);
  }
}

/** The samples of `name` (a family's or a histogram's `_bucket`/`_sum`/`_count`) whose labels include `match`. */
export function samples(families: Map<string, Family>, name: string, match: Record<string, string> = {}): Sample[] {
  const family = families.get(familyOf(name, families));
  return (family?.samples ?? []).filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the matching samples' values (0 when none match). */
export function total(families: Map<string, Family>, name: string, match: Record<string, string> = {}): number {
  return samples(families, name, match).reduce((a, s) => a + s.value, 0);
}
