import { describe, expect, it } from 'vitest';
import { headerSafe } from '../../src/util/header-safe.js';

describe('headerSafe', () => {
  it('keeps printable ASCII, replaces what a header cannot carry, and bounds the length', () => {
    expect(headerSafe('gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(headerSafe('gem\n\u0000☃\ud800')).toBe('gem____');
    expect(headerSafe('x'.repeat(500))).toHaveLength(128);
  });
});
