/** LangChain and the Vercel AI SDK against Rotor, as those users run them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatOpenAI } from '@langchain/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, tool, stepCountIs } from 'ai';
import { z } from 'zod';
import { startStack, type Stack } from './harness.js';

describe('frameworks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'fw@example.com' }] });
  });
  afterAll(() => stack.close());

  it("LangChain's ChatOpenAI with bindTools gets tool calls back", async () => {
    const llm = new ChatOpenAI({ model: 'gemini-2.5-flash', apiKey: stack.password, configuration: { baseURL: `${stack.rotor.url}/v1` }, maxRetries: 0 });
    const withTools = llm.bindTools([
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ]);
    const msg = await withTools.invoke('Use get_weather for {"city":"Berlin"}');
    expect(msg.tool_calls).toHaveLength(1);
    expect(msg.tool_calls![0]).toMatchObject({ name: 'get_weather', args: { city: 'Berlin' } });
    const plain = await llm.invoke('hello langchain');
    expect(plain.content).toBe('Echo from gemini-2.5-flash: hello langchain');
  });

  it("the Vercel AI SDK's generateText runs a tool and streamText streams", async () => {
    const provider = createOpenAICompatible({ name: 'rotor', baseURL: `${stack.rotor.url}/v1`, apiKey: stack.password });
    const executed: string[] = [];
    const result = await generateText({
      model: provider('gemini-2.5-flash'),
      prompt: 'call get_weather for {"city":"Tokyo"}',
      tools: {
        get_weather: tool({
          description: 'Weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            executed.push(city);
            return { city, forecast: 'rain' };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(executed).toEqual(['Tokyo']);
    expect(result.steps.length).toBeGreaterThanOrEqual(2);
    expect(result.text).toMatch(/^Echo from gemini-2.5-flash/);

    const streamed = streamText({ model: provider('gemini-2.5-pro'), prompt: 'stream for the ai sdk' });
    let text = '';
    let parts = 0;
    for await (const delta of streamed.textStream) {
      text += delta;
      parts++;
    }
    expect(text).toBe('Echo from gemini-2.5-pro: stream for the ai sdk');
    expect(parts).toBeGreaterThan(1);
  });
});
