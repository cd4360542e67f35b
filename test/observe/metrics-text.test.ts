/**
 * The tests' Prometheus text parser: prom-client's own output round-trips through it (every metric type,
 * awkward label values, NaN and infinities), Rotor's cell histograms render as prom-client's histograms do, and
 * the parser refuses what Prometheus would.
 */
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter, CellHistogram } from '../../src/observe/metrics-cells.js';
import { knownModels, routeTemplate } from '../../src/observe/metrics.js';
import { openAIDialect } from '../../src/translate/openai-chat/adapter.js';
import { parsePrometheusText, samples, total } from './metrics-text.js';

describe('the Prometheus text parser', () => {
  it("reads prom-client's output back: every type, escaped label values, NaN and infinities", async () => {
    const reg = new Registry();
    const c = new Counter({ name: 't_requests_total', help: 'Requests\\with "quotes"\nand a newline.', labelNames: ['path', 'code'], registers: [reg] });
    const g = new Gauge({ name: 't_temperature', help: 'A gauge.', labelNames: ['room'], registers: [reg] });
    const h = new Histogram({ name: 't_latency_seconds', help: 'A histogram.', labelNames: ['op'], buckets: [0.1, 1, 10], registers: [reg] });
    const s = new Summary({ name: 't_size_bytes', help: 'A summary.', percentiles: [0.5, 0.9], registers: [reg] });
    const nasty = 'a "quoted" \\ back\\slash\nnew line, {braces}=, and ünïcødé';
    c.inc({ path: nasty, code: '200' }, 3);
    c.inc({ path: '/x', code: '500' });
    g.set({ room: 'hot' }, Infinity);
    g.set({ room: 'cold' }, -Infinity);
    g.set({ room: 'unknown' }, NaN);
    g.set({ room: 'tiny' }, 1.5e-9);
    for (const v of [0.05, 0.5, 0.5, 5, 50]) h.observe({ op: 'read' }, v);
    for (const v of [1, 2, 3, 4]) s.observe(v);

    const text = await reg.metrics();
    const families = parsePrometheusText(text);
    expect(families.get('t_requests_total')).toMatchObject({ type: 'counter', help: 'Requests\\with "quotes"\nand a newline.' });
    expect(samples(families, 't_requests_total', { path: nasty })).toEqual([{ name: 't_requests_total', labels: { path: nasty, code: '200' }, value: 3 }]);
    expect(total(families, 't_requests_total')).toBe(4);
    expect(total(families, 't_temperature', { room: 'hot' })).toBe(Infinity);
    expect(total(families, 't_temperature', { room: 'cold' })).toBe(-Infinity);
    expect(total(families, 't_temperature', { room: 'unknown' })).toBeNaN(); // prom-client writes "Nan"; Go's ParseFloat takes it
    expect(total(families, 't_temperature', { room: 'tiny' })).toBe(1.5e-9);
    expect(samples(families, 't_latency_seconds_bucket').map((b) => [b.labels.le, b.value])).toEqual([['0.1', 1], ['1', 3], ['10', 4], ['+Inf', 5]]);
    expect(total(families, 't_latency_seconds_count')).toBe(5);
    expect(total(families, 't_latency_seconds_sum')).toBeCloseTo(56.05);
    expect(families.get('t_size_bytes')?.type).toBe('summary');
    expect(total(families, 't_size_bytes_count')).toBe(4);

    // The same figures as prom-client's JSON view.
    for (const metric of await reg.getMetricsAsJSON()) {
      for (const v of metric.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>) {
        const labels = Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)]));
        if (labels.le === 'Infinity') labels.le = '+Inf';
        const found = samples(families, v.metricName ?? metric.name, labels).filter((x) => Object.keys(x.labels).length === Object.keys(labels).length);
        expect(found, `${v.metricName ?? metric.name} ${JSON.stringify(labels)}`).toHaveLength(1);
        if (Number.isNaN(v.value)) expect(found[0]!.value).toBeNaN();
        else expect(found[0]!.value).toBe(v.value);
      }
    }
  });

  it("renders Rotor's cell counters and histograms like prom-client's own", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new CellCounter(ours, 'x_total', 'Things.', ['kind']);
    const hist = new CellHistogram(ours, 'x_seconds', 'Durations.', ['op'], [0.5, 0.1, 1]);
    const c = new Counter({ name: 'x_total', help: 'Things.', labelNames: ['kind'], registers: [theirs] });
    const h = new Histogram({ name: 'x_seconds', help: 'Durations.', labelNames: ['op'], buckets: [0.1, 0.5, 1], registers: [theirs] });
    counter.cell({ kind: 'a' }).value += 2;
    counter.cell({ kind: 'b' });
    c.inc({ kind: 'a' }, 2);
    c.inc({ kind: 'b' }, 0);
    const read = hist.cell({ op: 'read' });
    for (const v of [0.05, 0.1, 0.3, 0.7, 3]) {
      hist.observeCell(read, v);
      h.observe({ op: 'read' }, v);
    }
    const a = parsePrometheusText(await ours.metrics());
    const b = parsePrometheusText(await theirs.metrics());
    const norm = (f: Map<string, { samples: Array<{ name: string; labels: Record<string, string>; value: number }> }>) =>
      [...f.values()].flatMap((x) => x.samples).map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`).sort();
    expect(norm(a)).toEqual(norm(b));
    expect(a.get('x_seconds')?.type).toBe('histogram');
    expect(samples(a, 'x_seconds_bucket', { le: '0.1' })[0]?.value).toBe(2); // le is inclusive
  });

  it.each([
    ['no final newline', '# TYPE a counter\na 1'],
    ['a bad metric name', '1abc 1\n'],
    ['a bad label name', 'a{1x="y"} 1\n'],
    ['a reserved label name', 'a{__name__="y"} 1\n'],
    ['an unquoted label value', 'a{x=y} 1\n'],
    ['an unterminated label value', 'a{x="y} 1\n'],
    ['a bad escape', 'a{x="\\t"} 1\n'],
    ['a label twice', 'a{x="1",x="2"} 1\n'],
    ['no value', 'a{x="1"}\n'],
    ['a bad value', 'a 1.2.3\n'],
    ['a bad timestamp', 'a 1 12.5\n'],
    ['a second TYPE', '# TYPE a counter\n# TYPE a counter\na 1\n'],
    ['a TYPE after samples', 'a 1\n# TYPE a counter\n'],
    ['an unknown type', '# TYPE a thing\na 1\n'],
    ['a family in two groups', 'a 1\nb 1\na{x="2"} 2\n'],
    ['a series twice', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['a negative counter', '# TYPE a counter\na -1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose +Inf is not its count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n'],
  ])('refuses %s', (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('metric labels', () => {
  it('names routes by their template, never by the path asked for', () => {
    const route = (path: string | RegExp) => ({ method: 'GET' as const, path, dialect: openAIDialect, handle: () => undefined });
    expect(routeTemplate(route('/v1/chat/completions'))).toBe('/v1/chat/completions');
    expect(routeTemplate(route(/^\/v1\/models\/([^/]+)$/))).toBe('/v1/models/{param}');
    expect(routeTemplate(route(/^\/v1beta\/models\/([^/]+)$/))).toBe('/v1beta/models/{param}');
    expect(routeTemplate(route(/^\/a\/(?:b|c)\/([^/]+)\/d$/))).toBe('/a/(?:b|c)/{param}/d');
  });

  it('knows the configured models, alias and fallback targets, and the models of the quota config', () => {
    const known = knownModels({
      models: ['m1'],
      modelAliases: [{ pattern: 'claude-*', model: 'm2' }],
      modelFallbacks: new Map([['m3', ['m4']]]),
      quotas: { routes: { 'gemini-api': { '*': { m5: { rpm: 1 }, '*': { rpd: 2 } } } }, buckets: { 'project:p': { m6: { rpm: 1 } } } },
    });
    expect([...known].sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });
});
