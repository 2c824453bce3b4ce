// A list read a page at a time (every list route answers {items, next_cursor}): `first()` loads
// the first page, "Load more" under the table the next ones, and the button goes once the last
// page is in. Each page's items go to `onPage(items, { first })`; a later page that fails says so
// on a toast and keeps the button. A newer `first()` makes pages of an older one land nowhere.

import { api } from '../api.js';
import { h, replace, act } from '../ui.js';

export function pager({ path, params = {}, limit = 50, label = 'Load more', onPage }) {
  const foot = h('div', { class: 'list-foot' });
  const more = h('button', { class: 'btn', type: 'button' }, label);
  let cursor = null;
  let generation = 0;

  function landed(page, mine, first) {
    if (mine !== generation) return;
    cursor = page.next_cursor ?? null;
    onPage(page.items, { first });
    replace(foot, cursor ? more : null);
  }

  more.addEventListener('click', () => act(more, 'Loading…', async () => {
    const mine = generation;
    landed(await api.get(path, { ...params, limit, cursor }), mine, false);
  }));

  return {
    /** The element holding "Load more"; put it under the list. */
    foot,
    /** Loads the first page again (throws what the request throws). */
    async first() {
      const mine = ++generation;
      landed(await api.get(path, { ...params, limit }), mine, true);
    },
    /** Whether rows remain on pages not loaded yet. */
    more: () => cursor !== null,
  };
}
