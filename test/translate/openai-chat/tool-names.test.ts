import { describe, expect, it } from 'vitest';
import { createToolNameMap, sanitizeFunctionName, toGeminiName } from '../../../src/translate/openai-chat/tool-names.js';

describe('sanitizeFunctionName', () => {
  it.each([
    ['get_weather', 'get_weather'],
    ['ns.tool:v2-beta', 'ns.tool:v2-beta'],
    ['search web', 'search_web'],
    ['mcp__github/create issue', 'mcp__github_create_issue'],
    ['1st', '_1st'],
    ['-dash', '_-dash'],
    ['', '_'],
    ['名前', '__'],
    ['a'.repeat(70), 'a'.repeat(64)],
  ])('%j → %j', (name, expected) => {
    expect(sanitizeFunctionName(name)).toBe(expected);
    expect(sanitizeFunctionName(name)).toMatch(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/);
  });
});

describe('createToolNameMap', () => {
  it('keeps valid names, maps invalid ones and gives both directions', () => {
    const map = createToolNameMap(['ok_tool', 'bad tool', 'ok_tool']);
    expect(Object.fromEntries(map.toGemini)).toStrictEqual({ ok_tool: 'ok_tool', 'bad tool': 'bad_tool' });
    expect(Object.fromEntries(map.toClient)).toStrictEqual({ ok_tool: 'ok_tool', bad_tool: 'bad tool' });
  });

  it('resolves collisions with a hash of the original name, whatever the order', () => {
    const a = createToolNameMap(['search web', 'search_web', 'search/web']);
    const b = createToolNameMap(['search/web', 'search_web', 'search web']);
    expect(a.toGemini.get('search_web')).toBe('search_web');
    expect(new Set(a.toGemini.values()).size).toBe(3);
    expect(a.toGemini.get('search web')).toMatch(/^search_web_[0-9a-f]{8}$/);
    // The valid name always keeps itself; the others get stable, distinct names.
    expect(b.toGemini.get('search_web')).toBe('search_web');
    expect(new Set(b.toGemini.values()).size).toBe(3);
    for (const [gemini, client] of a.toClient) expect(a.toGemini.get(client)).toBe(gemini);
  });

  it('keeps long colliding names within 64 characters', () => {
    const long = `${'x'.repeat(70)}!`;
    const map = createToolNameMap(['x'.repeat(64), long]);
    const gemini = map.toGemini.get(long) ?? '';
    expect(gemini).toHaveLength(64);
    expect(gemini).not.toBe('x'.repeat(64));
  });

  it('falls back to the plain sanitiser for names it was not built with', () => {
    expect(toGeminiName(createToolNameMap([]), 'a b')).toBe('a_b');
  });
});
