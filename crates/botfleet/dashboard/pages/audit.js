// Audit log (admin): who changed what and every security event, newest first, with filters
// (kind, action, actor, target), the `q` search, a time range and "Load older". A row's changes
// open in place.

import { api } from '../api.js';
import { h, replace, field, debounce, loading, empty, failed, act, timeEl } from '../ui.js';
import { exportControl } from '../parts/export-control.js';
import { SEARCH_HINT, scanNote } from '../parts/search-syntax.js';

const PAGE = 50;

export function mount(main, ctx) {
  const state = Object.fromEntries(ctx.query.entries());
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field({ tag: 'select', label: 'Kind', name: 'kind', options: [['', 'Everything'], ['action', 'Changes'], ['security', 'Security events']], value: state.kind ?? '' }),
    field({ label: 'Action', name: 'action', value: state.action ?? '', placeholder: 'e.g. bots.update', spellcheck: 'false' }),
    field({ tag: 'select', label: 'Actor', name: 'actor_type', options: [['', 'Anyone'], ['user', 'User'], ['api_key', 'API key'], ['discord_user', 'Discord user'], ['anonymous', 'Anonymous'], ['system', 'System']], value: state.actor_type ?? '' }),
    field({ label: 'Search', name: 'q', type: 'search', value: state.q ?? '', placeholder: 'Action, actor, target or detail', hint: SEARCH_HINT }));
  filters.lastElementChild.classList.add('field-q');
  filters.addEventListener('submit', (e) => e.preventDefault());
  const slot = h('div', {}, loading());
  const note = h('div', {});
  const foot = h('div', { class: 'list-foot' });
  const more = h('button', { class: 'btn', type: 'button' }, 'Load older');
  let cursor = null;
  let tbody = null;
  let requestId = 0;

  const exporter = exportControl({ path: '/audit-logs', title: 'audit log', filter: () => current() });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Audit log'), exporter), filters, note, slot, foot);

  const current = () => Object.fromEntries([...new FormData(filters)].filter(([, v]) => v !== ''));

  function row(r) {
    const detail = r.changes ?? r.detail;
    const who = r.actor_name ?? r.actor_id ?? '';
    const toggle = detail ? h('button', { class: 'btn btn-link', type: 'button', 'aria-expanded': 'false' }, 'Details') : null;
    const tr = h('tr', {},
      h('td', { class: 'nowrap' }, timeEl(r.at)),
      h('td', {}, r.kind === 'security' ? 'Security' : 'Change'),
      h('td', { class: 'cmd' }, r.action),
      h('td', {}, `${r.actor_type}${who ? `: ${who}` : ''}`),
      h('td', {}, r.target_type ? `${r.target_type} ${r.target_id ?? ''}` : '—'),
      h('td', { class: 'nowrap' }, r.ip ?? '—'),
      h('td', {}, toggle));
    let open = null;
    toggle?.addEventListener('click', () => {
      if (open) { open.remove(); open = null; toggle.setAttribute('aria-expanded', 'false'); return; }
      open = h('tr', {}, h('td', { colspan: '7', class: 'details-cell' }, JSON.stringify(detail, null, 2), r.user_agent ? `\n\nuser agent: ${r.user_agent}` : ''));
      tr.after(open);
      toggle.setAttribute('aria-expanded', 'true');
    });
    return tr;
  }

  async function load(older = false) {
    const mine = ++requestId;
    const q = { ...current(), limit: PAGE };
    if (older) q.cursor = cursor;
    else replace(slot, loading());
    try {
      const page = await api.get('/audit-logs', q);
      if (mine !== requestId) return;
      cursor = page.next_cursor;
      replace(note, scanNote(page));
      if (!older) {
        if (page.items.length === 0) {
          tbody = null;
          replace(slot, empty('Nothing matches these filters.'));
        } else {
          tbody = h('tbody');
          replace(slot, h('div', { class: 'table-wrap' }, h('table', {},
            h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Action', 'Who', 'Target', 'IP', ''].map((c) => h('th', { scope: 'col' }, c)))),
            tbody)));
        }
      }
      page.items.forEach((r) => tbody?.append(row(r)));
      replace(foot, cursor ? more : null);
    } catch (err) {
      if (older) throw err;
      replace(slot, failed(err, () => load()));
    }
  }

  const apply = () => {
    const f = current();
    ctx.navigate(`#/audit${Object.keys(f).length ? `?${new URLSearchParams(f)}` : ''}`, { replace: true });
    load();
  };
  filters.addEventListener('change', (e) => { if (e.target.type !== 'search' && e.target.name !== 'action') apply(); });
  filters.addEventListener('input', debounce((e) => { if (e.target.type === 'search' || e.target.name === 'action') apply(); }, 300));
  more.addEventListener('click', () => act(more, 'Loading…', () => load(true)));
  load();
}
