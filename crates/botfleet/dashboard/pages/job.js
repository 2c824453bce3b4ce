// One job: its kind, state, who started it and when, its parameters and a progress bar that moves
// live, Cancel / Retry (for whoever may start that kind) or Download (a finished export), and its
// items a page at a time — what each acted on, its state and error in words, its `detail` as
// `key: value` pairs. The items on screen are read again (at most once a second) as it progresses.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, loading, empty, failed, timeEl, num } from '../ui.js';
import { bots as botMap, forgetBots } from '../parts/rows.js';
import {
  kindWords, whoWords, stateBadge, progressBar, pairs, jobActions, itemBadge, isActive, notOlder, maySkip, skipButton, messageTarget,
} from '../parts/jobs.js';

const PAGE = 100;

export function mount(main, { params, can }) {
  const id = Number(params.id);
  const title = h('h1', {}, `Job ${id}`);
  const badge = h('span', {});
  const actions = h('div', { class: 'actions' });
  const facts = h('dl', { class: 'facts' });
  const progressSlot = h('div', { class: 'job-progress' });
  const itemsSlot = h('div', {}, loading('Loading items…'));
  const note = h('div', { 'aria-live': 'polite' });
  const unknownNote = () => h('p', { class: 'form-error unknown-note', role: 'note' },
    'Unknown whether done: these sends were cut short (botfleet stopped longer ago than Discord remembers a message\'s nonce, or Discord ',
    'never answered), so no one can tell whether Discord posted them. Look in the channel: Skip an item that arrived; Retry the job to send ',
    'the others (one that did arrive would be posted twice).');
  const foot = h('div', { class: 'list-foot' });
  const more = h('button', { class: 'btn', type: 'button' }, 'Load more items');
  const body = h('div', {}, loading('Loading the job…'));
  replace(main, h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' /'), body);

  let job = null;
  let bar = null;
  let names = new Map();
  let loaded = 0; // items on screen
  let cursor = null;
  let tbody = null;
  let stopped = false;
  let refreshTimer = null;
  let lastRefresh = 0;
  let generation = 0;

  const target = (t) => {
    if (job?.kind === 'bots_bulk') {
      const bot = names.get(Number(t));
      return h('a', { href: `#/bots/${t}` }, bot?.name ?? `Bot ${t}`);
    }
    if (job?.kind === 'messages') return h('span', {}, messageTarget(t, names));
    return h('span', { class: 'cmd' }, t);
  };

  const skipped = (after) => { merge(after); refreshItems(true); };

  function itemRow(item) {
    return h('tr', { dataset: { seq: item.seq } },
      h('td', { class: 'num' }, item.seq),
      h('td', { class: 'nowrap' }, target(item.target)),
      h('td', { class: 'nowrap' }, itemBadge(item)),
      h('td', { class: 'wrap' }, item.error ? h('span', { class: 'item-error' }, item.error) : null, pairs(item.detail)),
      h('td', { class: 'num' }, num(item.attempts)),
      h('td', { class: 'nowrap' }, item.finished_at ? timeEl(item.finished_at) : '—'),
      h('td', { class: 'nowrap' }, maySkip(can, job, item) ? skipButton(job, item, skipped) : null));
  }

  let headKey = null;
  function drawHead() {
    if (bar) bar.update(job);
    else {
      bar = progressBar(job, { label: `Progress of job ${job.id}` });
      replace(progressSlot, bar.el);
    }
    // Progress alone leaves the rest (and a button about to be pressed) as it is.
    const key = `${job.state}|${job.cancel_requested}|${job.finished_at}|${job.started_at}|${job.attempts}`;
    if (key === headKey) return;
    headKey = key;
    replace(title, `Job ${job.id}: ${kindWords(job)}`);
    replace(badge, stateBadge(job));
    replace(actions, jobActions(job, can, (after) => { merge(after); refreshItems(true); }));
    replace(facts,
      fact('Started by', whoWords(job.created_by)),
      fact('Created', timeEl(job.created_at)),
      fact('Started', job.started_at ? timeEl(job.started_at) : 'not yet'),
      fact('Ended', job.finished_at ? timeEl(job.finished_at) : isActive(job) ? 'not yet' : '—'),
      fact('Runs', num(job.attempts)),
      fact('Parameters', pairs(job.params) ?? '—'));
  }

  const fact = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value));

  function merge(next) {
    const { items, ...rest } = next;
    job = { ...job, ...rest };
    drawHead();
    return items;
  }

  function drawItems(page, append) {
    if (!append) {
      loaded = 0;
      if (page.items.length === 0) {
        tbody = null;
        replace(itemsSlot, empty('This job has no items.'));
        return;
      }
      tbody = h('tbody');
      replace(itemsSlot, h('div', { class: 'table-wrap' }, h('table', { class: 'job-items' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', class: 'num' }, '#'),
          h('th', { scope: 'col' }, job.kind === 'bots_bulk' ? 'Bot' : 'Target'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col' }, 'Error or result'),
          h('th', { scope: 'col', class: 'num' }, 'Tries'),
          h('th', { scope: 'col' }, 'Finished'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        tbody)));
    }
    page.items.forEach((item) => tbody.append(itemRow(item)));
    if (!append) replace(note, page.items.some((i) => i.state === 'unknown') ? unknownNote() : null);
    loaded += page.items.length;
    cursor = page.next_cursor;
    replace(foot, cursor ? more : null);
  }

  async function load() {
    const mine = ++generation;
    try {
      const [first, map] = await Promise.all([api.get(`/jobs/${id}`, { limit: PAGE }), botMap().catch(() => new Map())]);
      names = map;
      // A bot added since the names were cached: read them again (once).
      if (first.kind === 'bots_bulk' && first.items.items.some((i) => !names.has(Number(i.target)))) {
        forgetBots();
        names = await botMap().catch(() => names);
      }
      if (stopped || mine !== generation) return;
      job = null;
      bar = null;
      headKey = null;
      replace(body,
        h('div', { class: 'page-head' }, title, badge, actions),
        progressSlot,
        facts,
        h('h2', { class: 'section' }, 'Items'),
        note, itemsSlot, foot);
      job = {};
      const items = merge(first);
      drawItems(items, false);
      lastRefresh = Date.now();
    } catch (err) {
      if (!stopped) replace(body, failed(err, load));
    }
  }

  /** Reads the job and the items on screen again (throttled to once a second unless `now`). */
  function refreshItems(now = false) {
    if (refreshTimer) return;
    const wait = now ? 0 : Math.max(0, 1000 - (Date.now() - lastRefresh));
    refreshTimer = setTimeout(async () => {
      const mine = generation;
      try {
        const next = await api.get(`/jobs/${id}`, { limit: Math.min(1000, Math.max(PAGE, loaded)) });
        if (stopped || mine !== generation || !job) return;
        const items = merge(next);
        drawItems(items, false);
      } catch {
        // The next change tries again.
      } finally {
        lastRefresh = Date.now();
        refreshTimer = null;
      }
    }, wait);
  }

  more.addEventListener('click', () => act(more, 'Loading…', async () => {
    const page = await api.get(`/jobs/${id}`, { limit: PAGE, cursor });
    if (stopped) return;
    merge(page);
    drawItems(page.items, true);
  }));

  const off = live.onMessage((m) => {
    if (m.type === 'job' && m.id === id && job?.id) {
      if (!notOlder(job, m)) return;
      const before = job;
      job = { ...job, state: m.state, total: m.total, done: m.done, failed: m.failed, cancel_requested: m.cancel_requested };
      drawHead();
      if (before.done !== m.done || before.failed !== m.failed || before.state !== m.state || before.cancel_requested !== m.cancel_requested) {
        refreshItems(before.state !== m.state);
      }
    } else if (m.type === 'resync') load();
  });
  live.subscribe(['jobs']);
  load();
  return () => {
    stopped = true;
    clearTimeout(refreshTimer);
    off();
  };
}
