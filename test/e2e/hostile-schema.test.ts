/**
 * Tool schemas whose `$ref`s expand a hundred-KB request into tens of MB are refused with a 400 naming the
 * function and the limit, before anything goes upstream, while /health and ordinary requests are served
 * alongside them.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enumBomb, fanOutBomb } from '../translate/schema-bombs.js';
import { startStack, type Stack } from './harness.js';

const model = 'gemini-2.5-flash';

describe('a tool schema that expands far beyond its size', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'schema@example.com' }] });
  });
  afterAll(() => stack.close());

  it('is refused with a 400 naming the function and the limit, while /health and a normal request are served', async () => {
    // ~90 KB and ~20 KB of JSON that would expand to ~27 MB and ~40 MB of upstream body.
    const enumTool = { type: 'function' as const, function: { name: 'lookup_code', parameters: enumBomb() } };
    const treeTool = { type: 'function' as const, function: { name: 'walk_tree', parameters: fanOutBomb() } };
    const bombBody = (tool: typeof enumTool) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }], tools: [tool] });
    const before = stack.sim.calls({ method: 'generateContent' }).length;

    const [viaSdk, viaFetch, health, normal] = await Promise.all([
      stack.openai.chat.completions.create(bombBody(enumTool)).catch((err: unknown) => err),
      fetch(`${stack.rotor.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.password!}`, 'content-type': 'application/json' },
        body: JSON.stringify(bombBody(treeTool)),
      }),
      fetch(`${stack.rotor.url}/health`),
      stack.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'still there?' }] }),
    ]);

    expect(viaSdk).toBeInstanceOf(OpenAI.BadRequestError);
    const sdkError = viaSdk as InstanceType<typeof OpenAI.BadRequestError>;
    expect(sdkError.status).toBe(400);
    expect(sdkError.message).toContain('function "lookup_code" (tools[0].function.parameters)');
    expect(sdkError.message).toContain('SCHEMA_MAX_OUTPUT_BYTES');

    expect(viaFetch.status).toBe(400);
    const body = (await viaFetch.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^function "walk_tree" \(tools\[0\]\.function\.parameters\): .*over \d+ bytes of JSON \(SCHEMA_MAX_OUTPUT_BYTES/);

    expect(health.status).toBe(200);
    expect(normal.choices[0]?.message.content).toContain('still there?');
    // Only the normal request reached Google.
    expect(stack.sim.calls({ method: 'generateContent' }).length - before).toBe(1);

    // And the next ordinary request after them is served too.
    const after = await stack.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'and now?' }] });
    expect(after.choices[0]?.message.content).toContain('and now?');
  });
});
