// The log search's syntax, as the API reads `q` (logs/search.rs): words all of which must match,
// "a phrase" as one term, -word to leave rows out; each term a case-insensitive substring. The hint
// shown by the search boxes, the same parse for matching live rows, and the scan-mode note.

import { h } from '../ui.js';

export const SEARCH_HINT = 'All words must match · "exact phrase" · -word leaves rows out · words of 3+ characters are fastest';

/** `q` as terms: [{text, exclude}] (the server's rules: a quote opens a phrase only at a term's start). */
export function parseQuery(q) {
  const terms = [];
  let rest = (q ?? '').trimStart();
  while (rest) {
    let exclude = false;
    let body = rest;
    if (rest.startsWith('-') && rest.length > 1 && !/\s/.test(rest[1])) { exclude = true; body = rest.slice(1); }
    let text;
    if (body.startsWith('"')) {
      const end = body.indexOf('"', 1);
      text = end === -1 ? body.slice(1) : body.slice(1, end);
      rest = end === -1 ? '' : body.slice(end + 1);
    } else {
      const m = body.match(/\s/);
      const end = m ? m.index : body.length;
      text = body.slice(0, end);
      rest = body.slice(end);
    }
    if (text) terms.push({ text: text.toLowerCase(), exclude });
    rest = rest.trimStart();
  }
  return terms;
}

/** Whether texts (a row's searched fields) match the terms. */
export function matchesQuery(terms, texts) {
  const lower = texts.map((t) => String(t ?? '').toLowerCase());
  return terms.every((t) => lower.some((s) => s.includes(t.text)) !== t.exclude);
}

/** The answer's note when a search read only the newest rows (scan mode), else null. */
export function scanNote(page) {
  if (page?.search?.mode !== 'scan') return null;
  return h('p', { class: 'hint search-note', role: 'status' },
    `Short search: ${page.search.note}.`);
}
