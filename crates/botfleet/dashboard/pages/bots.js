// Bots: every bot with its live status (dot + word), power buttons per row, checkboxes for bulk
// start / stop / restart through POST /bots/bulk, and "Add bot". Viewers see the table only. A bulk
// action runs as a background job: its progress shows above the table, moving with the live `jobs`
// topic (polling the job as well, in case live updates are off), with a link to it on the Jobs page.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, toast, statusBadge, setPowerButtons, loading, empty, failed, timeEl } from '../ui.js';
import { forgetBots } from '../parts/rows.js';
import { kindWords, stateBadge, progressBar, isActive, notOlder } from '../parts/jobs.js';

export function mount(main, { can }) {
  const operate = can('bots.operate');
  const slot = h('div', {}, loading('Loading bots…'));
  const selectedNote = h('span', { class: 'muted', 'aria-live': 'polite' });
  const bulkButtons = ['start', 'stop', 'restart'].map((action) =>
    h('button', { class: 'btn btn-small', type: 'button', disabled: true, dataset: { action } },
      `${action[0].toUpperCase()}${action.slice(1)} selected`));
  const bulkbar = operate ? h('div', { class: 'bulkbar', role: 'toolbar', 'aria-label': 'Selected bots' }, bulkButtons, selectedNote) : null;
  const followSlot = h('div', { class: 'job-follows' });
  const follows = new Map(); // job id -> {update(job)}

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Bots'),
      can('bots.create') ? h('div', { class: 'actions' }, h('a', { class: 'btn btn-primary', href: '#/bots/new' }, 'Add bot')) : null),
    bulkbar,
    followSlot,
    slot);

  const rows = new Map(); // bot id -> {tr, statusCell, reasonCell, box, bot}

  function selected() {
    return [...rows.entries()].filter(([, r]) => r.box?.checked).map(([id]) => id);
  }

  function refreshSelection() {
    const n = selected().length;
    bulkButtons.forEach((b) => { b.disabled = n === 0; });
    selectedNote.textContent = n ? `${n} selected` : 'Select bots to act on several at once.';
    if (all) {
      all.checked = n > 0 && n === rows.size;
      all.indeterminate = n > 0 && n < rows.size;
    }
  }

  // Live status changes counted per bot: an action's answer (the status when it was asked) must
  // not overwrite a newer one that arrived over the live feed while the request ran.
  const liveSeen = new Map();
  const seen = (id) => liveSeen.get(id) ?? 0;
  function setStatusUnlessNewer(id, status, before) {
    if (seen(id) === before) setStatus(id, status, null);
  }

  function setStatus(id, status, reason) {
    const r = rows.get(id);
    if (!r) return;
    r.bot.status = status;
    r.bot.status_reason = reason;
    replace(r.statusCell, statusBadge(status, reason ?? undefined));
    r.reasonCell.textContent = reason ?? '';
    if (r.power) setPowerButtons(r.power.buttons, status);
  }

  function powerButtons(bot) {
    const make = (action, label) => {
      const b = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `${label} ${bot.name}` }, label);
      b.addEventListener('click', () => act(b, null, async () => {
        const before = seen(bot.id);
        const result = await api.post(`/bots/${bot.id}/${action}`);
        setStatusUnlessNewer(bot.id, result.status, before);
        return result;
      }, `${bot.name}: ${action} requested`));
      buttons[action] = b;
      return b;
    };
    const buttons = {};
    return { el: h('div', { class: 'actions' }, make('start', 'Start'), make('stop', 'Stop'), make('restart', 'Restart')), buttons };
  }

  let all = null;
  function draw(bots) {
    rows.clear();
    if (bots.length === 0) {
      replace(slot, empty('No bots yet.', can('bots.create') ? h('a', { class: 'btn btn-primary', href: '#/bots/new' }, 'Add bot') : h('span', {}, 'An admin can add one.')));
      return;
    }
    all = operate ? h('input', { type: 'checkbox', 'aria-label': 'Select every bot' }) : null;
    all?.addEventListener('change', () => {
      rows.forEach((r) => { r.box.checked = all.checked; });
      refreshSelection();
    });
    const body = h('tbody');
    for (const bot of bots) {
      const box = operate ? h('input', { type: 'checkbox', 'aria-label': `Select ${bot.name}`, onchange: refreshSelection }) : null;
      const statusCell = h('td', { class: 'nowrap' });
      const reasonCell = h('td', { class: 'wrap muted' });
      const power = operate ? powerButtons(bot) : null;
      const tr = h('tr', { dataset: { botId: bot.id } },
        operate ? h('td', { class: 'check' }, box) : null,
        statusCell,
        h('td', {}, h('a', { href: `#/bots/${bot.id}` }, bot.name)),
        h('td', { class: 'cmd' }, bot.prefix),
        h('td', { class: 'num' }, bot.channel_ids.length || 'all'),
        h('td', {}, bot.desired_state),
        h('td', { class: 'nowrap' }, timeEl(bot.updated_at)),
        reasonCell,
        power ? h('td', {}, power.el) : null);
      rows.set(bot.id, { tr, statusCell, reasonCell, box, bot, power });
      body.append(tr);
      setStatus(bot.id, bot.status, bot.status_reason);
    }
    const head = ['Status', 'Name', 'Prefix', 'Channels', 'Wanted', 'Changed', 'Reason'];
    replace(slot, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {},
        operate ? h('th', { class: 'check', scope: 'col' }, all) : null,
        head.map((c) => h('th', { scope: 'col', class: c === 'Channels' ? 'num' : null }, c)),
        operate ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      body)));
    refreshSelection();
  }

  async function load() {
    try {
      const page = await api.get('/bots', { limit: 200 });
      forgetBots();
      draw(page.items);
    } catch (err) {
      replace(slot, failed(err, load));
    }
  }

  /**
   * Shows a bulk job's progress above the table until it is dismissed: a bar, "3 of 10 done, 1
   * failed", its state and a link to it on the Jobs page. Returns {update(job)}.
   */
  function follow(job) {
    const badge = h('span', {});
    const bar = progressBar(job, { label: `Progress of ${kindWords(job).toLowerCase()} (job ${job.id})` });
    const close = h('button', { class: 'btn btn-quiet btn-small', type: 'button', 'aria-label': `Hide job ${job.id}` }, '×');
    const box = h('section', { class: 'job-follow', 'aria-label': `Job ${job.id}`, dataset: { jobId: job.id } },
      h('span', { class: 'job-follow-title' }, `${kindWords(job)} of ${job.total} bot${job.total === 1 ? '' : 's'}`),
      bar.el, badge,
      can('jobs.read') ? h('a', { href: `#/jobs/${job.id}` }, `Job ${job.id} on the Jobs page`) : null,
      close);
    let last = job;
    const entry = {
      job,
      update(next) {
        // A poll's answer that crossed a newer live message (or the job's end) is not drawn.
        if (!notOlder(last, next) || (!isActive(last) && isActive(next))) return;
        last = { ...last, ...next };
        entry.job = last;
        bar.update(last);
        replace(badge, stateBadge(last));
      },
    };
    close.addEventListener('click', () => { box.remove(); follows.delete(job.id); });
    entry.update(job);
    if (can('jobs.read') && follows.size === 0) live.subscribe(['bots', 'jobs']);
    followSlot.prepend(box);
    follows.set(job.id, entry);
    // The three newest stay on screen.
    [...followSlot.children].slice(3).forEach((old) => { follows.delete(Number(old.dataset.jobId)); old.remove(); });
    return entry;
  }

  bulkButtons.forEach((button) => button.addEventListener('click', async () => {
    const action = button.dataset.action;
    const ids = selected();
    // The server runs it as a background job (202): statuses and progress arrive live; the job's
    // end says which bots could not.
    const job = await act(button, null, () => api.post('/bots/bulk', { action, bot_ids: ids }));
    if (!job) return;
    const plural = `${ids.length} bot${ids.length === 1 ? '' : 's'}`;
    toast(`${action} requested for ${plural} (job ${job.id})`);
    const shown = follow(job);
    // Polling as well as the live topic: either may be first; the bar only moves forward.
    let done = job;
    while (!stopped && isActive(shown.job)) {
      await new Promise((r) => setTimeout(r, live.currentState() === 'live' ? 2000 : 1000));
      if (stopped || !isActive(shown.job)) break;
      try { done = await api.get(`/jobs/${job.id}`, { limit: 1 }); } catch { return; }
      const { items, ...rest } = done;
      shown.update(rest);
    }
    if (stopped) return;
    try { done = await api.get(`/jobs/${job.id}`, { limit: 1000 }); } catch { return; }
    const { items, ...rest } = done;
    shown.update(rest);
    const bad = (items?.items ?? []).filter((i) => i.state === 'failed');
    if (bad.length) toast(`${bad.length} of ${plural} could not ${action}: ${bad.map((i) => `${rows.get(Number(i.target))?.bot.name ?? i.target}: ${i.error}`).join('; ')}`, 'error');
    else if (done.state === 'succeeded') toast(`${action} done for ${plural}`);
  }));

  let stopped = false;
  const off = live.onMessage((m) => {
    if (m.type === 'bot_status') {
      liveSeen.set(m.bot_id, seen(m.bot_id) + 1);
      setStatus(m.bot_id, m.status, m.reason);
    }
    else if (m.type === 'job') follows.get(m.id)?.update({ state: m.state, total: m.total, done: m.done, failed: m.failed, cancel_requested: m.cancel_requested });
    else if (m.type === 'resync') load();
  });
  // The `jobs` topic only while a job is followed (polled, it costs requests every few seconds).
  live.subscribe(['bots']);
  load();
  return () => {
    stopped = true;
    off();
  };
}
