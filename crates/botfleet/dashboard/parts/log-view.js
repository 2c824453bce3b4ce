// The log pages' engine (command log and bot log): filter chips and selects, the `q` search box,
// a time range, cursor paging ("Load older") and live rows appearing at the top when they match
// the filters. Filters live in the page's hash (#/commands?outcome=error&q=help), so a filtered
// view can be bookmarked or shared.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, field, debounce, loading, empty, failed, act } from '../ui.js';
import { bots as botMap } from './rows.js';
import { exportControl } from './export-control.js';
import { SEARCH_HINT, parseQuery, matchesQuery, scanNote } from './search-syntax.js';

const RANGES = [['', 'Any time'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['custom', 'Custom…']];
const RANGE_MS = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const PAGE = 50;
const MAX_LIVE_ROWS = 500;

/**
 * config: {title, path (API list), hashPath, topic, message (live type), chips: {name, label,
 * options}, texts: [{name, label}], searchHint, searchFields (row fields `q` looks in), row(row,
 * map, opts), table() -> {table, body}, emptyText}
 */
export function logView(main, ctx, config) {
  const state = Object.fromEntries(ctx.query.entries());
  const body = { el: null };
  let map = new Map();
  let cursor = null;
  let requestId = 0;

  // ---- filter controls ----
  const botSelect = field({ tag: 'select', label: 'Bot', name: 'bot_id', options: [['', 'All bots']], value: state.bot_id ?? '' });
  const chipButtons = config.chips.options.map(([value, label]) =>
    h('button', { class: 'chip', type: 'button', 'aria-pressed': String((state[config.chips.name] ?? '') === value), dataset: { value } }, label));
  const chips = h('fieldset', { class: 'chips' }, h('legend', { class: 'legend' }, config.chips.label), chipButtons);
  const texts = config.texts.map((t) => field({ label: t.label, name: t.name, value: state[t.name] ?? '', spellcheck: 'false', autocomplete: 'off' }));
  const search = field({ label: 'Search', name: 'q', type: 'search', value: state.q ?? '', placeholder: config.searchHint, hint: SEARCH_HINT, autocomplete: 'off' });
  search.classList.add('field-q');
  const range = field({ tag: 'select', label: 'Time range', name: 'range', options: RANGES, value: state.range ?? '' });
  const since = field({ label: 'From', name: 'since', type: 'datetime-local', value: state.since ?? '' });
  const until = field({ label: 'Until', name: 'until', type: 'datetime-local', value: state.until ?? '' });
  const custom = h('div', { class: 'inline', hidden: state.range !== 'custom' }, since, until);
  const clear = h('button', { class: 'btn btn-quiet', type: 'button' }, 'Clear filters');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': `Filter the ${config.title.toLowerCase()}` },
    botSelect, chips, texts, search, range, custom, clear);
  filters.addEventListener('submit', (e) => e.preventDefault());

  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const note = h('div', {});
  const slot = h('div', {}, loading());
  const more = h('button', { class: 'btn', type: 'button' }, 'Load older');
  const foot = h('div', { class: 'list-foot' });

  const exporter = ctx.can?.('logs.read')
    ? exportControl({ path: config.path, title: config.title.toLowerCase(), filter: () => apiQuery(read()) })
    : null;
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, config.title), exporter), filters, note, summary, slot, foot);

  function read() {
    const data = new FormData(filters);
    const f = {};
    for (const [key, value] of data.entries()) if (value !== '') f[key] = String(value).trim();
    const pressed = chipButtons.find((b) => b.getAttribute('aria-pressed') === 'true');
    if (pressed?.dataset.value) f[config.chips.name] = pressed.dataset.value;
    custom.hidden = f.range !== 'custom';
    if (f.range !== 'custom') { delete f.since; delete f.until; }
    return f;
  }

  /** The API query for the filters (the time range becomes since/until). */
  function apiQuery(f) {
    const q = { ...f, limit: PAGE };
    delete q.range;
    if (RANGE_MS[f.range]) q.since = new Date(Date.now() - RANGE_MS[f.range]).toISOString();
    if (f.range === 'custom') {
      if (f.since) q.since = new Date(f.since).toISOString();
      if (f.until) q.until = new Date(f.until).toISOString();
    }
    return q;
  }

  /** Whether a live row belongs in the current view. */
  function matches(row, f) {
    if (f.bot_id && String(row.bot_id) !== f.bot_id) return false;
    if (f[config.chips.name] && row[config.chips.name] !== f[config.chips.name]) return false;
    for (const t of config.texts) {
      if (f[t.name] && String(row[t.name] ?? '').toLowerCase() !== f[t.name].toLowerCase()) return false;
    }
    if (f.q && !matchesQuery(parseQuery(f.q), config.searchFields.map((k) => row[k]))) return false;
    if (f.range === 'custom' && f.until) return false;
    return true;
  }

  let current = read();

  async function load({ older = false } = {}) {
    const mine = ++requestId;
    const q = apiQuery(current);
    if (older) q.cursor = cursor;
    else replace(slot, loading());
    try {
      const page = await api.get(config.path, q);
      if (mine !== requestId) return;
      cursor = page.next_cursor;
      replace(note, scanNote(page));
      if (!older) {
        const { table, body: tbody } = config.table();
        body.el = tbody;
        if (page.items.length === 0) {
          replace(slot, empty(Object.keys(current).length ? 'Nothing matches these filters. Try a wider time range or clear the filters.' : config.emptyText));
          body.el = null;
        } else replace(slot, table);
      }
      page.items.forEach((r) => body.el?.append(config.row(r, map)));
      const shown = body.el?.children.length ?? 0;
      summary.textContent = shown ? `${shown.toLocaleString()} row${shown === 1 ? '' : 's'} shown${cursor ? ', more below' : ''}; new ones appear at the top.` : '';
      replace(foot, cursor ? more : (shown ? h('span', {}, 'That is everything.') : null));
    } catch (err) {
      if (mine !== requestId) return;
      if (older) throw err;
      replace(slot, failed(err, () => load()));
      replace(foot);
    }
  }

  const apply = () => {
    current = read();
    const hash = `#${config.hashPath}${Object.keys(current).length ? `?${new URLSearchParams(current)}` : ''}`;
    ctx.navigate(hash, { replace: true });
    live.subscribe([config.topic], current.bot_id ? Number(current.bot_id) : null);
    load();
  };
  const applySoon = debounce(apply, 300);

  filters.addEventListener('change', (e) => { if (e.target.name !== 'q' && !config.texts.some((t) => t.name === e.target.name)) apply(); });
  filters.addEventListener('input', (e) => { if (e.target.name === 'q' || config.texts.some((t) => t.name === e.target.name)) applySoon(); });
  chipButtons.forEach((b) => b.addEventListener('click', () => {
    chipButtons.forEach((o) => o.setAttribute('aria-pressed', String(o === b)));
    apply();
  }));
  clear.addEventListener('click', () => {
    filters.reset();
    filters.querySelectorAll('input').forEach((i) => { i.value = ''; });
    filters.querySelectorAll('select').forEach((s) => { s.value = ''; });
    chipButtons.forEach((o) => o.setAttribute('aria-pressed', String(o.dataset.value === '')));
    apply();
  });
  more.addEventListener('click', () => act(more, 'Loading…', () => load({ older: true })));

  const stop = live.onMessage((m) => {
    if (m.type === config.message) {
      if (!matches(m, current)) return;
      if (!body.el) {
        const { table, body: tbody } = config.table();
        body.el = tbody;
        replace(slot, table);
      }
      body.el.prepend(config.row(m, map, { fresh: true }));
      while (body.el.children.length > MAX_LIVE_ROWS) body.el.lastElementChild.remove();
    } else if (m.type === 'resync') load();
  });

  live.subscribe([config.topic], current.bot_id ? Number(current.bot_id) : null);
  // Bot names first (usually cached), so rows show names from the start.
  botMap().catch(() => new Map()).then((bots) => {
    map = bots;
    const select = botSelect.querySelector('select');
    for (const bot of bots.values()) select.append(h('option', { value: bot.id, selected: state.bot_id === String(bot.id) }, bot.name));
    load();
  });
  return stop;
}
