/** Percentiles, number formatting and plain-text tables for the bench output (stdout and RESULTS markdown). */

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  return percentile(values, 50);
}

export function fmt(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return '∞';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/**
 * Renders rows (arrays of strings) under headers as a GitHub markdown table, which also reads well on a
 * terminal. Numeric-looking columns are right-aligned.
 */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => [...(r[i] ?? '')].length)));
  const isNumber = (c) => c === '–' || /^[-+~]?\d[\d.,]*\s?(×|%|ms|MB|s)?$/.test(c);
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => isNumber(String(r[i] ?? ''))));
  const pad = (text, i) => {
    const n = widths[i] - [...text].length;
    return numeric[i] ? ' '.repeat(n) + text : text + ' '.repeat(n);
  };
  const line = (r) => `| ${r.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

export function verdict(ok) {
  if (ok === undefined) return 'not measured';
  return ok ? 'MET' : 'MISSED';
}
