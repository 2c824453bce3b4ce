// "Export" on a log page: the page's current filter exported as CSV or JSON Lines by a background
// job (POST <path>/export), its progress shown where it was started, then a Download link.

import { api } from '../api.js';
import { h, replace, act, toast, errorText } from '../ui.js';
import { progressBar, stateBadge, downloadLink, isActive } from './jobs.js';

/**
 * The control for `path` (`/command-logs`, `/bot-logs`, `/audit-logs`); `filter()` answers the
 * page's filter as the list endpoint takes it (without cursor and limit).
 */
export function exportControl({ path, filter, title }) {
  const format = h('select', { 'aria-label': 'Export format' },
    h('option', { value: 'csv' }, 'CSV'), h('option', { value: 'jsonl' }, 'JSON Lines'));
  const button = h('button', { class: 'btn btn-small', type: 'button' }, 'Export');
  const status = h('div', { class: 'export-status', 'aria-live': 'polite' });
  const el = h('div', { class: 'export-control' }, h('div', { class: 'inline' }, format, button), status);

  button.addEventListener('click', () => act(button, 'Exporting…', async () => {
    const f = { ...filter() };
    delete f.cursor;
    delete f.limit;
    if (f.bot_id !== undefined && /^\d+$/.test(String(f.bot_id))) f.bot_id = Number(f.bot_id);
    const job = await api.post(`${path}/export`, { format: format.value, filter: f });
    follow(job);
  }));

  function follow(first) {
    const bar = progressBar(first, { label: `Export of the ${title}` });
    const badge = h('span', {}, stateBadge(first));
    const link = h('a', { href: `#/jobs/${first.id}` }, `Job #${first.id}`);
    const slot = h('span', {});
    replace(status, h('div', { class: 'inline' }, badge, bar.el, link, slot));
    const poll = async () => {
      let job;
      try { job = await api.get(`/jobs/${first.id}`, { limit: 1 }); } catch (err) {
        toast(errorText(err), 'error');
        return;
      }
      bar.update(job);
      replace(badge, stateBadge(job));
      if (isActive(job)) { setTimeout(poll, 1000); return; }
      const error = job.items?.items?.[0]?.error;
      replace(slot, downloadLink(job) ?? (error ? h('span', { class: 'export-error' }, error) : null));
    };
    setTimeout(poll, 300);
  }

  return el;
}
