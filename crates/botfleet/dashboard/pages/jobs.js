// Jobs: background work (bulk bot actions, retention sweeps, exports). Running and queued jobs
// first, then the others newest first with "Load older"; each row has its kind in words, who
// started it and when, a progress bar and its state, and Cancel / Retry for whoever may start that
// kind. Progress moves in place from the live `jobs` topic (or the poller when live is off); a
// job's items are on its own page (#/jobs/{id}).

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, loading, empty, failed, timeEl } from '../ui.js';
import { kindWords, whoWords, stateBadge, progressBar, paramsSummary, jobActions, isActive, notOlder } from '../parts/jobs.js';

const PAGE = 50;

export function mount(main, { can }) {
  const slot = h('div', {}, loading('Loading jobs…'));
  const foot = h('div', { class: 'list-foot' });
  const more = h('button', { class: 'btn', type: 'button' }, 'Load older');
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'), count),
    h('p', { class: 'muted' }, 'Background work: bulk start, stop and restart of bots, and other long tasks. Progress updates as it happens.'),
    slot, foot);

  const rows = new Map(); // job id -> {tr, job, cells, bar}
  let activeBody = null;
  let restBody = null;
  let cursor = null;
  let generation = 0;
  let stopped = false;
  // Jobs being fetched, each with whether a live message came meanwhile (then it is fetched again:
  // the answer may predate that message, and no other message may follow, as a held job shows).
  const fetching = new Map();

  function countText() {
    const n = [...rows.values()].filter((r) => isActive(r.job)).length;
    count.textContent = n ? `${n} in progress` : '';
  }

  /** Draws (or redraws in place) a job's row; the progress bar keeps its element. */
  function paint(entry) {
    const { job, cells } = entry;
    entry.bar.update(job);
    // Progress alone leaves the rest (and a button about to be pressed) as it is.
    const key = `${job.state}|${job.cancel_requested}|${job.finished_at}|${job.started_at}`;
    if (entry.key === key) return;
    entry.key = key;
    replace(cells.state, stateBadge(job));
    replace(cells.ended, job.finished_at ? timeEl(job.finished_at) : job.started_at ? h('span', { class: 'muted' }, 'running') : '—');
    replace(cells.actions, jobActions(job, can, upsertFull));
    entry.tr.classList.toggle('row-active', isActive(job));
  }

  function makeRow(job) {
    const cells = {
      state: h('td', { class: 'nowrap' }),
      progress: h('td', { class: 'progress-cell' }),
      ended: h('td', { class: 'nowrap' }),
      actions: h('td', { class: 'nowrap' }),
    };
    const bar = progressBar(job);
    cells.progress.append(bar.el);
    const summary = paramsSummary(job);
    const tr = h('tr', { dataset: { jobId: job.id } },
      h('td', {},
        h('a', { href: `#/jobs/${job.id}` }, kindWords(job)),
        h('span', { class: 'muted' }, ` #${job.id}`),
        summary ? h('div', { class: 'muted job-params' }, summary) : null),
      cells.state,
      cells.progress,
      h('td', { class: 'nowrap' }, whoWords(job.created_by)),
      h('td', { class: 'nowrap' }, timeEl(job.created_at)),
      cells.ended,
      cells.actions);
    const entry = { tr, job, cells, bar };
    paint(entry);
    return entry;
  }

  function table() {
    activeBody = h('tbody', { class: 'jobs-active' });
    restBody = h('tbody', { class: 'jobs-rest' });
    replace(slot, h('div', { class: 'table-wrap' }, h('table', { class: 'jobs-table' },
      h('thead', {}, h('tr', {}, ['Job', 'State', 'Progress', 'Started by', 'Created', 'Ended', ''].map((c) =>
        h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, 'Actions'))))),
      activeBody, restBody)));
  }

  function showEmpty() {
    activeBody = null;
    restBody = null;
    replace(slot, empty('No jobs yet. They appear here when you start, stop or restart several bots at once on the Bots page.',
      h('a', { class: 'btn', href: '#/bots' }, 'Go to Bots')));
  }

  /** Puts a row where it belongs: active jobs at the top (newest first), the others by id. */
  function place(entry) {
    if (!activeBody) table();
    const body = isActive(entry.job) ? activeBody : restBody;
    const after = [...body.children].find((tr) => Number(tr.dataset.jobId) < entry.job.id);
    if (entry.tr.parentNode === body && entry.tr.nextElementSibling === (after ?? null)) return;
    body.insertBefore(entry.tr, after ?? null);
  }

  /** A full job from the server (a list row, an action's answer, a fetch). */
  function upsertFull(job, { fresh = false } = {}) {
    let entry = rows.get(job.id);
    if (!entry) {
      // An older finished job below the loaded pages comes with "Load older".
      if (!isActive(job) && cursor !== null && restBody?.lastElementChild && job.id < Number(restBody.lastElementChild.dataset.jobId)) return;
      entry = makeRow(job);
      if (fresh) {
        // Flashes once: not again when the row moves (a job that ends goes below the ones running).
        entry.tr.classList.add('row-new');
        entry.tr.addEventListener('animationend', () => entry.tr.classList.remove('row-new'), { once: true });
      }
      rows.set(job.id, entry);
    } else {
      // A fetch that crossed a newer live message keeps the newer progress.
      const keep = notOlder(entry.job, job) ? {} : { done: entry.job.done, failed: entry.job.failed };
      entry.job = { ...entry.job, ...job, ...keep };
      paint(entry);
    }
    place(entry);
    countText();
  }

  /** A live message: progress in place; a new job or a change of state fetches the job. */
  async function onJob(m) {
    const entry = rows.get(m.id);
    const fields = { state: m.state, total: m.total, done: m.done, failed: m.failed, cancel_requested: m.cancel_requested };
    if (entry && entry.job.state === m.state) {
      if (!notOlder(entry.job, fields)) return;
      entry.job = { ...entry.job, ...fields };
      paint(entry);
      return;
    }
    if (entry) {
      entry.job = { ...entry.job, ...fields };
      paint(entry);
      place(entry);
      countText();
    }
    // New, or its state changed: the times (started, finished) come with the job itself.
    if (fetching.has(m.id)) {
      fetching.set(m.id, true);
      return;
    }
    const mine = generation;
    let fresh = !entry;
    try {
      do {
        fetching.set(m.id, false);
        const job = await api.get(`/jobs/${m.id}`, { limit: 1 });
        delete job.items;
        if (stopped || mine !== generation) return;
        upsertFull(job, { fresh });
        fresh = false;
      } while (fetching.get(m.id));
    } catch {
      // Gone or not visible: the next resync tells.
    } finally {
      fetching.delete(m.id);
    }
  }

  async function load(older = false) {
    const mine = older ? generation : ++generation;
    try {
      if (!older) {
        // In progress first (both pages are small), then the first page of everything.
        const [running, queued, page] = await Promise.all([
          api.get('/jobs', { state: 'running', limit: 200 }),
          api.get('/jobs', { state: 'queued', limit: 200 }),
          api.get('/jobs', { limit: PAGE }),
        ]);
        if (mine !== generation || stopped) return;
        rows.clear();
        cursor = page.next_cursor;
        const all = [...running.items, ...queued.items, ...page.items];
        if (all.length === 0) showEmpty();
        else table();
        for (const job of all) if (!rows.has(job.id)) upsertFull(job);
      } else {
        const page = await api.get('/jobs', { limit: PAGE, cursor });
        if (mine !== generation || stopped) return;
        cursor = page.next_cursor;
        for (const job of page.items) if (!rows.has(job.id)) upsertFull(job);
      }
      replace(foot, cursor ? more : null);
      countText();
    } catch (err) {
      if (older) throw err;
      replace(slot, failed(err, () => load()));
    }
  }

  more.addEventListener('click', () => act(more, 'Loading…', () => load(true)));

  const off = live.onMessage((m) => {
    if (m.type === 'job') onJob(m);
    else if (m.type === 'resync') load();
  });
  live.subscribe(['jobs']);
  load();
  return () => {
    stopped = true;
    off();
  };
}
