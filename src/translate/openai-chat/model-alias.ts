/** A client model name with Rotor's pseudo-model suffixes taken off. */
export interface ModelAlias {
  /** The upstream model id, e.g. `gemini-2.5-flash`. */
  model: string;
  /** `-search`: add the Google Search tool. */
  search: boolean;
  /** `-nothinking` / `-maxthinking`: the least or the most thinking the model allows. */
  thinking?: 'none' | 'max';
}

const SUFFIXES = ['-search', '-nothinking', '-maxthinking'] as const;

/**
 * Splits the proxy pseudo-model suffixes geminicli2api made common
 * (docs/google-protocols.md#proxy-model-suffixes) off a model name. They combine in any order
 * (`gemini-2.5-flash-search-nothinking`); when both thinking suffixes are present, the last one wins. Pure
 * string work: any other name comes back unchanged.
 */
export function parseModelAlias(model: string): ModelAlias {
  let rest = model;
  let search = false;
  let thinking: ModelAlias['thinking'];
  for (let found = true; found; ) {
    found = false;
    for (const suffix of SUFFIXES) {
      if (!rest.endsWith(suffix) || rest.length === suffix.length) continue;
      rest = rest.slice(0, -suffix.length);
      found = true;
      if (suffix === '-search') search = true;
      else thinking ??= suffix === '-nothinking' ? 'none' : 'max';
    }
  }
  return thinking === undefined ? { model: rest, search } : { model: rest, search, thinking };
}
