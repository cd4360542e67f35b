/** Writes a Gemini stream to an OpenAI client as chat.completion.chunk events, each as it arrives. */
import type { ServerResponse } from 'node:http';
import type { Gateway } from '../../gateway/gateway.js';
import { convertGeminiChunkToOpenAIChunks, finishOpenAIStream, type OpenAIStreamState } from '../../translate/openai/stream.js';
import type { OpenAIChatCompletionChunk } from '../../translate/openai/types.js';
import { openSse } from '../../sse/write.js';
import { streamErrorPayload } from '../errors.js';

type Opened = Awaited<ReturnType<Gateway['stream']>>['stream'];

export async function pipeOpenAIStream(
  res: ServerResponse,
  stream: Opened,
  state: OpenAIStreamState,
  onChunk: (chunk: OpenAIChatCompletionChunk) => void,
): Promise<void> {
  const sse = openSse(res);
  const sendAll = (chunks: OpenAIChatCompletionChunk[]) => {
    for (const c of chunks) {
      onChunk(c);
      if (!sse.send(JSON.stringify(c))) return false;
    }
    return true;
  };
  try {
    if (!sendAll(convertGeminiChunkToOpenAIChunks(stream.first, state))) return;
    for (let r = await stream.rest.next(); !r.done; r = await stream.rest.next()) {
      if (!sendAll(convertGeminiChunkToOpenAIChunks(r.value, state))) return;
    }
    sendAll(finishOpenAIStream(state));
    sse.send('[DONE]');
  } catch (err) {
    // Past the first byte there is no failover: tell the client in its dialect and end the stream.
    sse.send(JSON.stringify(streamErrorPayload(err, 'openai')));
  } finally {
    stream.close();
    sse.end();
  }
}
