import { describe, expect, it } from 'vitest';
import { parseModelAlias } from '../../../src/translate/openai-chat/model-alias.js';

describe('parseModelAlias', () => {
  it.each([
    ['gemini-2.5-flash', { model: 'gemini-2.5-flash', search: false }],
    ['gemini-2.5-flash-search', { model: 'gemini-2.5-flash', search: true }],
    ['gemini-2.5-pro-nothinking', { model: 'gemini-2.5-pro', search: false, thinking: 'none' }],
    ['gemini-3-pro-preview-maxthinking', { model: 'gemini-3-pro-preview', search: false, thinking: 'max' }],
    ['gemini-2.5-flash-search-nothinking', { model: 'gemini-2.5-flash', search: true, thinking: 'none' }],
    ['gemini-2.5-flash-maxthinking-search', { model: 'gemini-2.5-flash', search: true, thinking: 'max' }],
    ['gemini-2.5-flash-nothinking-maxthinking', { model: 'gemini-2.5-flash', search: false, thinking: 'max' }],
    ['-search', { model: '-search', search: false }],
    ['gemini-2.5-flash-searching', { model: 'gemini-2.5-flash-searching', search: false }],
  ])('%s', (model, expected) => {
    expect(parseModelAlias(model)).toStrictEqual(expected);
  });
});
