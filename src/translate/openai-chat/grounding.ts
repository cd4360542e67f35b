import type { GeminiGroundingMetadata } from '../../types/gemini.js';
import type { OpenAIUrlCitation } from './types.js';

/**
 * Google Search grounding → OpenAI `url_citation` annotations
 * (docs/google-protocols.md#google-search-grounding, LiteLLM's mapping): one per (supported segment, cited
 * web chunk). Gemini measures segments in UTF-8 bytes of the answer text; OpenAI indexes characters of
 * `content`, so offsets are converted against `text` (the answer so far), and when the segment's own text is
 * known and does not sit at the converted offsets, its first occurrence in `text` is used instead. Chunks
 * without a web source are skipped.
 */
export function convertGroundingToAnnotations(meta: GeminiGroundingMetadata | undefined, text: string): OpenAIUrlCitation[] {
  const chunks = meta?.groundingChunks ?? [];
  const out: OpenAIUrlCitation[] = [];
  const seen = new Set<string>();
  for (const support of meta?.groundingSupports ?? []) {
    const range = locate(support.segment, text);
    if (!range) continue;
    for (const k of support.groundingChunkIndices ?? []) {
      const web = chunks[k]?.web;
      if (!web?.uri) continue;
      const key = `${range[0]}:${range[1]}:${web.uri}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        type: 'url_citation',
        url_citation: { start_index: range[0], end_index: range[1], url: web.uri, title: web.title ?? web.uri },
      });
    }
  }
  return out;
}

type Segment = { startIndex?: number; endIndex?: number; text?: string };

function locate(segment: Segment | undefined, text: string): [number, number] | undefined {
  if (segment?.endIndex === undefined && segment?.text === undefined) return undefined;
  const start = charIndex(text, segment.startIndex ?? 0);
  const end = segment.endIndex !== undefined ? charIndex(text, segment.endIndex) : start + (segment.text?.length ?? 0);
  if (segment.text === undefined || text.slice(start, end) === segment.text) return [start, end];
  const found = text.indexOf(segment.text);
  return found >= 0 ? [found, found + segment.text.length] : [start, end];
}

/** The UTF-16 index in `text` where UTF-8 byte `offset` falls (clamped to the text). */
function charIndex(text: string, offset: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < offset) {
    const code = text.codePointAt(i) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    i += code >= 0x10000 ? 2 : 1;
  }
  return i;
}
