/** Gemini's rule for function names (docs/google-protocols.md#function-names). */
const VALID = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const MAX = 64;

/** The two directions of the client ⇄ Gemini function-name mapping of one request. */
export interface ToolNameMap {
  /** Client name → name sent to Gemini. */
  readonly toGemini: ReadonlyMap<string, string>;
  /** Gemini name → client name: hand it to the response translators (`toolNames`). */
  readonly toClient: Map<string, string>;
}

/**
 * Maps every function name a request mentions (declarations, tool_choice, history) to a name Gemini
 * accepts. Deterministic and collision-free: valid names are kept and claimed first; an invalid name has
 * each illegal character replaced by `_`, gets `_` in front if it does not start with a letter or `_`, and
 * is cut to 64 characters; if that result is taken, a short hash of the original name is appended
 * (`my_tool_3f9a1c2e`), so the same client name maps to the same Gemini name whatever else the request
 * holds, unless two hashes collide, when a counter decides by order.
 */
export function createToolNameMap(clientNames: Iterable<string>): ToolNameMap {
  const unique = [...new Set(clientNames)];
  const toGemini = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of unique) {
    if (VALID.test(name)) {
      toGemini.set(name, name);
      taken.add(name);
    }
  }
  for (const name of unique) {
    if (toGemini.has(name)) continue;
    const gemini = claim(sanitizeFunctionName(name), name, taken);
    toGemini.set(name, gemini);
    taken.add(gemini);
  }
  const toClient = new Map<string, string>();
  for (const [client, gemini] of toGemini) toClient.set(gemini, client);
  return { toGemini, toClient };
}

/** Looks a client name up, sanitising names the map was not built with (same rule, without collision care). */
export function toGeminiName(map: ToolNameMap, clientName: string): string {
  return map.toGemini.get(clientName) ?? sanitizeFunctionName(clientName);
}

/** One name made valid for Gemini on its own (see createToolNameMap for collisions). */
export function sanitizeFunctionName(name: string): string {
  let out = name.replace(/[^A-Za-z0-9_.:-]/g, '_');
  if (!/^[A-Za-z_]/.test(out)) out = `_${out}`;
  return out.slice(0, MAX);
}

function claim(base: string, original: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  const hashed = `${base.slice(0, MAX - 9)}_${fnv1a(original)}`;
  if (!taken.has(hashed)) return hashed;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${hashed.slice(0, MAX - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** 32-bit FNV-1a as 8 hex digits: a stable, dependency-free fingerprint. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
