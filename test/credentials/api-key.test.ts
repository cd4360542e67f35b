import { describe, expect, it } from 'vitest';
import { loadApiKeys } from '../../src/credentials/api-key.js';
import { silentLogger } from '../../src/util/log.js';

describe('loadApiKeys', () => {
  it('loads keys of any shape, skips repeats, and refuses one that cannot travel in a header, by its place', async () => {
    const r = await loadApiKeys({
      envKeys: 'AIzaSyGoodKey0123456789abcdef, AQ.Ab8RN6newStyleKey, AIza\u2019pasted-with-a-curly-quote,AIzaSyGoodKey0123456789abcdef',
      jsonListEntries: [{ api_key: 'key with a space', project_id: 'p1' }],
      logger: silentLogger,
    });
    expect(r.keys.map((k) => k.maskedAccessToken())).toEqual(['AIza…def', 'AQ.A…Key']);
    expect(r.errors).toEqual([
      { source: 'GEMINI_API_KEYS[2]', reason: expect.stringMatching(/cannot carry/) },
      { source: 'CREDENTIALS_JSON_LIST[0]', reason: expect.stringMatching(/cannot carry/) },
    ]);
    expect(JSON.stringify(r.errors)).not.toMatch(/pasted-with|with a space/); // the key itself is never repeated
  });
});
