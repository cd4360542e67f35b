/**
 * A request body for a debug log line: with `prompts: 'hidden'` (the default, DEBUG_REDACT_LOGS=true) every
 * string is replaced by its length except the structural ones (model, role, type, names…), so the shape of a
 * request can be debugged without its content reaching the log. Bounded: deep or huge bodies are cut.
 */
const STRUCTURAL = new Set(['model', 'role', 'type', 'name', 'finish_reason', 'tool_choice', 'mime_type', 'mimeType', 'media_type', 'format', 'detail', 'effort', 'reasoning_effort', 'id', 'tool_call_id', 'call_id', 'tool_use_id']);
const MAX_DEPTH = 12;
const MAX_ITEMS = 50;

export function describeBody(body: unknown, prompts: 'hidden' | 'shown'): unknown {
  const walk = (v: unknown, key: string | undefined, depth: number): unknown => {
    if (typeof v === 'string') return prompts === 'shown' || (key !== undefined && STRUCTURAL.has(key)) ? v.slice(0, 2000) : `‹${v.length} chars›`;
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) return '‹…›';
    if (Array.isArray(v)) {
      const items = v.slice(0, MAX_ITEMS).map((x) => walk(x, key, depth + 1));
      return v.length > MAX_ITEMS ? [...items, `‹${v.length - MAX_ITEMS} more›`] : items;
    }
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, x] of Object.entries(v)) {
      if (n++ >= MAX_ITEMS) break;
      out[k] = walk(x, k, depth + 1);
    }
    return out;
  };
  return walk(body, undefined, 0);
}
