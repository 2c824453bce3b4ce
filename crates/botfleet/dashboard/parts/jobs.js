// A background job drawn the same on the Jobs page, a job's own page and the Bots page: its kind
// and state in words, who started it, a progress bar (done + failed of total, role=progressbar),
// an item's state and `detail` in words, and the Cancel / Retry / Download controls, drawn only
// for a caller with the permission of the job's kind.

import { api } from '../api.js';
import { h, replace, act, confirmAction } from '../ui.js';

/** The permission that starts, cancels and retries a job of each kind (the server checks too). */
const KIND_PERMISSION = {
  bots_bulk: 'bots.operate',
  retention: 'settings.manage',
  messages: 'bots.message',
};

/** The permission for this job: its kind's; an export's is reading its source. */
function permissionOf(job) {
  if (job.kind === 'export') return job.params?.source === 'audit' ? 'audit.read' : 'logs.read';
  return KIND_PERMISSION[job.kind] ?? 'settings.manage';
}

/** Whether the caller may cancel or retry this job (an unknown kind: admins only). */
export const mayAct = (can, job) => can(permissionOf(job));

const capital = (text) => (text ? `${text[0].toUpperCase()}${text.slice(1)}` : text);

/** What a job does, in words: "Bulk restart", "Retention", "Export". */
export function kindWords(job) {
  if (job.kind === 'bots_bulk') return job.params?.action ? `Bulk ${job.params.action}` : 'Bulk bot action';
  if (job.kind === 'retention') return 'Retention';
  if (job.kind === 'export') return 'Export';
  if (job.kind === 'messages') {
    const m = job.params?.messages?.length;
    const c = job.params?.channels?.length;
    return m && c ? `Announcement: ${m} message${m === 1 ? '' : 's'} to ${c} channel${c === 1 ? '' : 's'}` : 'Announcement';
  }
  return capital(String(job.kind ?? 'job').replace(/_/g, ' '));
}

/** Who started it: `user alice` → alice, `key ci` → API key ci. */
export function whoWords(createdBy) {
  const [type, ...rest] = String(createdBy ?? '').split(' ');
  const name = rest.join(' ');
  if (type === 'user' && name) return name;
  if (type === 'key' && name) return `API key ${name}`;
  return createdBy || '—';
}

const STATE_WORDS = {
  queued: 'Queued', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', partial: 'Partial', cancelled: 'Cancelled',
};

export const isActive = (job) => job.state === 'queued' || job.state === 'running';

/**
 * Whether `next` (a live message, a poll's answer) is not older than `shown`: live messages and
 * REST answers may cross, and a bar should not step back. Within one state, progress only grows.
 */
export function notOlder(shown, next) {
  if (!shown || next.state !== shown.state) return true;
  return Number(next.done ?? 0) + Number(next.failed ?? 0) >= Number(shown.done ?? 0) + Number(shown.failed ?? 0)
    || Number(next.total) !== Number(shown.total);
}

/** A job's state: a dot and its word ("Cancelling…" once a cancel is asked for). */
export function stateBadge(job) {
  const cancelling = job.cancel_requested && isActive(job);
  const word = cancelling ? 'Cancelling…' : STATE_WORDS[job.state] ?? job.state;
  const title = job.state === 'partial' ? 'Some items failed' : cancelling ? 'Stops after the items running now' : undefined;
  return h('span', { class: ['status', `status-job-${job.state}`, cancelling ? 'status-job-cancelling' : null], title, dataset: { state: job.state } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), word);
}

/** "3 of 10 done, 1 failed" (and "…, 6 cancelled" once cancelled). */
export function progressWords(job) {
  const total = Number(job.total ?? 0);
  const done = Number(job.done ?? 0);
  const failed = Number(job.failed ?? 0);
  let text = `${done} of ${total} done`;
  if (failed) text += `, ${failed} failed`;
  const left = total - done - failed;
  if (job.state === 'cancelled' && left > 0) text += `, ${left} cancelled`;
  return text;
}

/**
 * A progress bar for a job: returns {el, update(job)}; `update` moves it in place. The bar is
 * role=progressbar with aria-valuenow = done + failed of aria-valuemax = total, its words beside.
 */
export function progressBar(job, { label } = {}) {
  const ok = h('span', { class: 'progress-ok' });
  const bad = h('span', { class: 'progress-failed' });
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-label': label ?? `Progress of job ${job.id}` }, ok, bad);
  const words = h('span', { class: 'progress-words' });
  const el = h('div', { class: 'progress-box' }, bar, words);
  function update(next) {
    const total = Math.max(0, Number(next.total ?? 0));
    const done = Math.max(0, Number(next.done ?? 0));
    const failed = Math.max(0, Number(next.failed ?? 0));
    const text = progressWords(next);
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(Math.min(total, done + failed)));
    bar.setAttribute('aria-valuetext', text);
    bar.classList.toggle('progress-active', isActive(next));
    // Widths through the CSSOM (the CSP forbids style attributes, not this).
    ok.style.width = `${total ? (100 * done) / total : 0}%`;
    bad.style.width = `${total ? (100 * failed) / total : 0}%`;
    replace(words, text);
  }
  update(job);
  return { el, bar, update };
}

const ITEM_WORDS = {
  pending: 'Waiting', ok: 'Done', failed: 'Failed', cancelled: 'Cancelled', unknown: 'Unknown whether done', skipped: 'Skipped',
};
const ITEM_CLASS = {
  pending: 'job-queued', ok: 'job-succeeded', failed: 'job-failed', cancelled: 'job-cancelled', unknown: 'job-partial', skipped: 'job-cancelled',
};
const ITEM_TITLES = {
  unknown: 'Its effect may or may not have happened (a message whose send was cut short may have been posted). Retry does it again — perhaps twice; Skip leaves it.',
  skipped: 'A person decided it should not run.',
};

/** An item's state: a dot and its word (an unknown or skipped one says why on hover). */
export function itemBadge(item) {
  return h('span', { class: ['status', `status-${ITEM_CLASS[item.state] ?? 'job-queued'}`], dataset: { state: item.state }, title: ITEM_TITLES[item.state] },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), ITEM_WORDS[item.state] ?? item.state);
}

/** Whether the caller may skip this item now: a failed or unknown item of an ended job. */
export const maySkip = (can, job, item) => mayAct(can, job) && !isActive(job) && ['failed', 'unknown'].includes(item.state);

/**
 * The Skip button of an item (see `maySkip`): POST /jobs/{id}/items/{seq}/skip; `changed(job)`
 * gets the job the server answered with.
 */
export function skipButton(job, item, changed) {
  const b = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Skip item ${item.seq}` }, 'Skip');
  b.addEventListener('click', async () => {
    const sure = await confirmAction({
      title: `Skip item ${item.seq}?`,
      body: item.state === 'unknown'
        ? 'No one can tell whether it took effect. Skipping leaves it as it is: it will not run again, and no longer counts as failed.'
        : 'It will not run again (not even on Retry), and no longer counts as failed.',
      confirm: 'Skip item',
      danger: false,
    });
    if (!sure) return;
    const after = await act(b, 'Skipping…', () => api.post(`/jobs/${job.id}/items/${item.seq}/skip`), `Item ${item.seq} skipped`);
    if (after) changed(after);
  });
  return b;
}

/** A messages item's target (`bot/channel/message index`) in words. */
export function messageTarget(target, names) {
  const [bot, channel, index] = String(target).split('/');
  if (index === undefined) return target;
  const name = names?.get(Number(bot))?.name ?? `Bot ${bot}`;
  return `Message ${Number(index) + 1} → channel ${channel} as ${name}`;
}

/** A value of a detail or parameter, short: numbers with separators, objects as JSON. */
function valueWords(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return value.toLocaleString();
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

/** A JSON object as compact `key: value` pairs (null for nothing to show). */
export function pairs(object, { skip = [] } = {}) {
  if (object === null || object === undefined) return null;
  if (typeof object !== 'object' || Array.isArray(object)) return h('span', { class: 'pairs' }, valueWords(object));
  const entries = Object.entries(object).filter(([k]) => !skip.includes(k));
  if (entries.length === 0) return null;
  return h('dl', { class: 'pairs' }, entries.map(([k, v]) =>
    h('div', {}, h('dt', {}, k.replace(/_/g, ' ')), h('dd', {}, valueWords(v)))));
}

/** What the job acts on, in words, for its list row (besides its kind). */
export function paramsSummary(job) {
  if (job.kind === 'bots_bulk') return `${job.total} bot${job.total === 1 ? '' : 's'}`;
  return pairs(job.params, { skip: ['action'] });
}

/** The file of a finished export. */
export function downloadLink(job) {
  if (job.kind !== 'export' || job.state !== 'succeeded') return null;
  return h('a', { class: 'btn btn-small', href: `/api/v1/jobs/${job.id}/file`, download: '' }, 'Download');
}

/**
 * The controls a job offers now: Cancel while queued or running, Retry once failed, partial or
 * cancelled (only to a caller with the kind's permission), Download for a finished export.
 * `changed(job)` gets the job the server answered with.
 */
export function jobActions(job, can, changed) {
  const label = `job ${job.id}`;
  const buttons = [];
  if (mayAct(can, job) && isActive(job) && !job.cancel_requested) {
    const b = h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Cancel ${label}` }, 'Cancel');
    b.addEventListener('click', async () => {
      const sure = await confirmAction({
        title: `Cancel job ${job.id}?`,
        body: `${kindWords(job)}: items not begun yet will not run; the ones running now finish first. You can retry it later.`,
        confirm: 'Cancel job',
      });
      if (!sure) return;
      const after = await act(b, 'Cancelling…', () => api.post(`/jobs/${job.id}/cancel`), `Job ${job.id}: cancel requested`);
      if (after) changed(after);
    });
    buttons.push(b);
  }
  if (mayAct(can, job) && ['failed', 'partial', 'cancelled'].includes(job.state)) {
    const b = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Retry ${label}` }, 'Retry');
    b.addEventListener('click', async () => {
      const after = await act(b, 'Retrying…', () => api.post(`/jobs/${job.id}/retry`), `Job ${job.id}: queued again`);
      if (after) changed(after);
    });
    buttons.push(b);
  }
  const download = downloadLink(job);
  if (download) buttons.push(download);
  return buttons.length ? h('div', { class: 'actions' }, buttons) : null;
}
