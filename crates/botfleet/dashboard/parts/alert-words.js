// How the Alerts page's tabs say things alike: a badge (a symbol and a word, never colour alone)
// for an incident's state, a delivery, a channel test or a window that is on, and a length of time
// in short words for an incident's age, a rule's resend interval and a window's duration.

import { h } from '../ui.js';

/** A badge: a symbol and a word, never colour alone. */
export const badge = (kind, symbol, word) => h('span', { class: ['badge', `badge-${kind}`] }, h('span', { 'aria-hidden': 'true' }, symbol), word);

/** A length of time in short words: 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}
