/**
 * The extras a reply candidate may carry, all deterministic: Google Search grounding (groundingMetadata),
 * token log-probabilities (logprobsResult), and safety ratings for blocked prompts and candidates.
 */
import { escapeHtml } from './http-io.js';
import type { ProtoObject } from './proto-json.js';

/** "Who won in 2022?" -> "who-won-in-2022". */
function slugOf(query: string): string {
  const slug = query
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'search';
}

/** Google counts segment offsets in UTF-8 bytes of the part's text. */
function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function segment(text: string, start: number, end: number): ProtoObject {
  const startIndex = bytes(text.slice(0, start));
  // proto3 JSON leaves out zero values, so the first segment comes without startIndex.
  return { ...(startIndex > 0 ? { startIndex } : {}), endIndex: startIndex + bytes(text.slice(start, end)), text: text.slice(start, end) };
}

/**
 * The text with each lone surrogate replaced by U+FFFD. A JSON string may carry one (`"\ud800"`) and Google
 * accepts it, but its strings are UTF-8, where a lone surrogate cannot exist; and encodeURIComponent throws
 * on one.
 */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Two web sources (example.com and example.org, path = slug of the query) and two supports: the text up to
 * and including the first ": " cites source 0, the rest cites source 1 (one support citing both when there
 * is no ": ").
 */
export function groundingFor(rawQuery: string, text: string): ProtoObject {
  const query = wellFormed(rawQuery);
  const slug = slugOf(query);
  const split = text.indexOf(': ');
  const supports =
    split > 0 && split + 2 < text.length
      ? [
          { segment: segment(text, 0, split + 1), groundingChunkIndices: [0] },
          { segment: segment(text, split + 2, text.length), groundingChunkIndices: [1] },
        ]
      : [{ segment: segment(text, 0, text.length), groundingChunkIndices: [0, 1] }];
  return {
    searchEntryPoint: { renderedContent: `<div class="sim-search-entry-point"><a href="https://www.google.com/search?q=${encodeURIComponent(query)}">${escapeHtml(query)}</a></div>` },
    groundingChunks: [
      { web: { uri: `https://example.com/${slug}`, title: 'example.com' } },
      { web: { uri: `https://example.org/${slug}`, title: 'example.org' } },
    ],
    groundingSupports: supports,
    webSearchQueries: [query],
  };
}

/** Tokens for logprobs: each word with the whitespace before it, so that they join back into the text. */
export function wordTokens(text: string): string[] {
  const tokens: string[] = text.match(/\s*\S+/g) ?? [];
  const joined = tokens.join('');
  if (joined.length < text.length) tokens.push(text.slice(joined.length));
  return tokens;
}

const CHOSEN = [-0.0625, -0.125, -0.25, -0.5];
const ALTERNATIVES = [' the', ' a', ' of', ' and', ' to', ' in', ' is', ' it', ' that', ' for'];

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** logprobsResult for `tokens`, the i-th token (counted from `offset`) at a fixed log-probability. */
export function logprobsFor(tokens: string[], top: number, offset = 0): { result: ProtoObject; sum: number } {
  const chosen = tokens.map((token, i) => ({ token, logProbability: CHOSEN[(offset + i) % CHOSEN.length] ?? -0.5 }));
  const result: ProtoObject = {};
  if (top > 0) {
    result['topCandidates'] = chosen.map((c) => ({
      candidates: [
        c,
        ...Array.from({ length: top - 1 }, (_, k) => ({ token: ALTERNATIVES[k % ALTERNATIVES.length] ?? ' x', logProbability: round(c.logProbability - 1 - k) })),
      ],
    }));
  }
  result['chosenCandidates'] = chosen;
  return { result, sum: chosen.reduce((s, c) => s + c.logProbability, 0) };
}

const CATEGORIES = ['HARM_CATEGORY_SEXUALLY_EXPLICIT', 'HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_DANGEROUS_CONTENT'];

/** Ratings with one category (dangerous content) rated HIGH and blocked. */
export function blockingSafetyRatings(): ProtoObject[] {
  return CATEGORIES.map((category) =>
    category === 'HARM_CATEGORY_DANGEROUS_CONTENT' ? { category, probability: 'HIGH', blocked: true } : { category, probability: 'NEGLIGIBLE' },
  );
}
