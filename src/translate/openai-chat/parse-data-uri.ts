import type { GeminiBlob } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
// Standard or URL-safe alphabet; Google's proto-JSON `bytes` accepts both.
const BASE64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;

/**
 * `data:<mime>[;param]*;base64,<data>` → Gemini `inlineData`. Anything else throws a TranslationError
 * at `field`: Gemini only takes inline bytes as base64, so a non-base64 data URI cannot be passed on.
 */
export function parseBase64DataUri(url: string, field: string): GeminiBlob {
  const comma = url.indexOf(',');
  if (!/^data:/i.test(url) || comma < 0) {
    throw new TranslationError(field, 'expected a data URI of the form data:<mime type>;base64,<data>');
  }
  const meta = url.slice('data:'.length, comma).split(';').map((s) => s.trim());
  const mimeType = (meta[0] ?? '').toLowerCase();
  if (meta.length < 2 || meta[meta.length - 1]?.toLowerCase() !== 'base64') {
    throw new TranslationError(field, 'data URI must be base64-encoded (data:<mime type>;base64,<data>)');
  }
  if (!MIME_TYPE.test(mimeType)) {
    throw new TranslationError(field, `data URI has no valid mime type (got "${mimeType}")`);
  }
  // Line-wrapped base64 (MIME style) is common in the wild; Google rejects the whitespace.
  const data = url.slice(comma + 1).replace(/\s+/g, '');
  if (data === '') throw new TranslationError(field, 'data URI has no data');
  if (!BASE64.test(data)) throw new TranslationError(field, 'data URI payload is not valid base64');
  return { mimeType, data };
}
