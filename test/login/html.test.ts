import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw, safeHref } from '../../src/http/pages/html.js';

describe('html tagged template', () => {
  it('escapes every interpolated string, in text and attributes', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.toString()).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });

  it('keeps nested html and raw() as they are, escapes arrays item by item', () => {
    const items = ['<a>', html`<b>${'<c>'}</b>`];
    expect(html`<ul>${items}</ul>${raw('<hr>')}`.toString()).toBe('<ul>&lt;a&gt;<b>&lt;c&gt;</b></ul><hr>');
  });

  it('renders nothing for false, null and undefined, and numbers as text', () => {
    const flag = false as boolean;
    expect(html`${flag && html`<i>no</i>`}${null}${undefined}${0}|${42}`.toString()).toBe('0|42');
  });

  it('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('safeHref lets only http(s) through', () => {
    expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeHref('javascript:alert(1)')).toBe('#');
    expect(safeHref('data:text/html,hi')).toBe('#');
    expect(safeHref('not a url')).toBe('#');
    expect(safeHref(undefined)).toBe('#');
  });
});
