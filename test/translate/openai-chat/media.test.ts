import { describe, expect, it } from 'vitest';
import { collectRemoteMediaUrls } from '../../../src/translate/openai-chat/media.js';
import { openAIChatRequestSchema } from '../../../src/translate/openai-chat/request-schema.js';

describe('collectRemoteMediaUrls', () => {
  it('lists the http(s) image URLs of user messages in order, each as often as it is used', () => {
    const req = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [
        { role: 'system', content: 'see https://example.com/not-an-image.png' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/b.png' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'HTTP://example.com/a.jpg' } },
          ],
        },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/b.png' } }] },
        { role: 'user', content: 'plain text' },
      ],
    });
    expect(collectRemoteMediaUrls(req)).toStrictEqual(['https://example.com/b.png', 'HTTP://example.com/a.jpg', 'https://example.com/b.png']);
  });
});
