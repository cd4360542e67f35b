/** embedContent and batchEmbedContents: deterministic vectors, sizes, and what Google refuses. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, start } from './helpers.js';

const KEY = 'AIzaSy-embedding-key';
let sim: Simulator;
const embed = (body: unknown, model = 'gemini-embedding-001') => apiCall(sim, model, 'embedContent', KEY, body);
const batch = (body: unknown, model = 'gemini-embedding-001') => apiCall(sim, model, 'batchEmbedContents', KEY, body);
const text = (t: string) => ({ parts: [{ text: t }] });
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

beforeAll(async () => {
  sim = await start({ apiKeys: [{ key: KEY, projectId: 'proj-e' }] });
});
afterAll(() => sim.close());

describe('vectors', () => {
  it('are unit vectors of the model’s full size, the same for the same text, different for another', async () => {
    const a = await embed({ content: text('hello world') });
    expect(a.status).toBe(200);
    expect(Object.keys(a.body)).toEqual(['embedding']);
    const values = a.body.embedding.values as number[];
    expect(values).toHaveLength(3072);
    expect(norm(values)).toBeCloseTo(1, 6);
    expect((await embed({ content: text('hello world') })).body.embedding.values).toEqual(values);
    expect((await embed({ content: text('hello world!') })).body.embedding.values).not.toEqual(values);
    const small = await embed({ content: text('hello world') }, 'text-embedding-004');
    expect(small.body.embedding.values).toHaveLength(768);
    expect(norm(small.body.embedding.values)).toBeCloseTo(1, 6);
  });

  it('outputDimensionality returns the prefix of the full vector, not re-normalised', async () => {
    const full = (await embed({ content: text('truncate me') })).body.embedding.values as number[];
    const cut = await embed({ content: text('truncate me'), outputDimensionality: 768, taskType: 'RETRIEVAL_DOCUMENT', title: 'Doc' });
    expect(cut.body.embedding.values).toEqual(full.slice(0, 768));
    expect(norm(cut.body.embedding.values)).toBeLessThan(0.7);
    expect((await embed({ content: text('truncate me'), output_dimensionality: 3072 })).body.embedding.values).toEqual(full);
  });

  it('batchEmbedContents answers one embedding per request, equal to embedContent’s', async () => {
    const r = await batch({
      requests: [
        { model: 'models/gemini-embedding-001', content: text('one') },
        { model: 'models/gemini-embedding-001', content: text('two'), outputDimensionality: 8, taskType: 'SEMANTIC_SIMILARITY' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.embeddings).toHaveLength(2);
    expect(r.body.embeddings[0].values).toEqual((await embed({ content: text('one') })).body.embedding.values);
    expect(r.body.embeddings[1].values).toEqual((await embed({ content: text('two') })).body.embedding.values.slice(0, 8));
  });
});

describe('what embeddings refuse', () => {
  const messageOf = async (p: Promise<{ status: number; body: { error: { message: string } } }>) => {
    const r = await p;
    expect(r.status).toBe(400);
    return r.body.error.message;
  };

  it('a taskType outside Google’s enum, and an outputDimensionality out of range', async () => {
    expect(await messageOf(embed({ content: text('x'), taskType: 'SUMMARIZATION' }))).toMatch(
      /^Invalid value at 'task_type' \(type\.googleapis\.com\/google\.ai\.generativelanguage\.v1beta\.TaskType\), "SUMMARIZATION"$/,
    );
    expect(await messageOf(embed({ content: text('x'), outputDimensionality: 4096 }))).toMatch(/output_dimensionality: must be between 1 and 3072/);
    expect(await messageOf(embed({ content: text('x'), outputDimensionality: 769 }, 'text-embedding-004'))).toMatch(/between 1 and 768/);
    expect(await messageOf(embed({ content: text('x'), outputDimensionality: 0 }))).toMatch(/output_dimensionality/);
  });

  it('missing content or parts, and unknown fields', async () => {
    expect(await messageOf(embed({}))).toMatch(/content is not specified/);
    expect(await messageOf(embed({ content: { parts: [] } }))).toMatch(/parts must not be empty/);
    expect(await messageOf(embed({ content: text('x'), dimensions: 8 }))).toBe('Invalid JSON payload received. Unknown name "dimensions": Cannot find field.');
  });

  it('batch requests must each name the URL’s model, and number at most 100', async () => {
    expect(await messageOf(batch({ requests: [{ content: text('x') }] }))).toBe('* BatchEmbedContentsRequest.requests[0].model: unexpected model name format\n');
    expect(await messageOf(batch({ requests: [{ model: 'models/text-embedding-004', content: text('x') }] }))).toMatch(
      /requests\[0\]\.model: the model in the request \(models\/text-embedding-004\) must match the model in the URL \(models\/gemini-embedding-001\)/,
    );
    expect(await messageOf(batch({ requests: [] }))).toMatch(/requests is not specified/);
    const many = Array.from({ length: 101 }, () => ({ model: 'models/gemini-embedding-001', content: text('x') }));
    expect(await messageOf(batch({ requests: many }))).toMatch(/at most 100 requests/);
  });

  it('a generation model does not embed (404)', async () => {
    const r = await embed({ content: text('x') }, 'gemini-2.5-flash');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe(
      'models/gemini-2.5-flash is not found for API version v1beta, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.',
    );
  });
});
