// The Alerts page's "Maintenance" tab: the windows in which incidents are still recorded but
// nothing is sent for the rules and bots they cover, once or every week, with whether each is on
// now; admins add them (from this minute for an hour by default) and delete them.

import { api } from '../../api.js';
import { h, replace, field, onSubmit, toast, loading, failed, empty, timeEl, uid } from '../../ui.js';
import { badge, duration } from '../../parts/alert-words.js';
import { table, deleteButton } from '../../parts/admin-table.js';
import { pager } from '../../parts/pager.js';
import { fillSelect, invalid } from '../../parts/form-extras.js';

const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];

/** A value for `<input type=datetime-local>` (local time) from a Date. */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** When a window is on, in words: once from … to …, or the days, time (UTC) and length. */
function schedule(w) {
  if (w.once) return h('span', {}, 'Once: ', timeEl(w.once.starts_at), ' → ', timeEl(w.once.ends_at));
  const days = w.weekly.days.length === 7 ? 'Every day' : `Every ${w.weekly.days.map((d) => DAYS.find(([k]) => k === d)?.[1] ?? d).join(', ')}`;
  return `${days} at ${w.weekly.start} UTC for ${duration(w.weekly.duration_minutes * 60_000)}`;
}

/**
 * Fills `panel`: the windows in the order they were added, 50 at a time ("Load more"). `refs`
 * names (and the form offers) the rules and bots. Returns {load}.
 */
export function maintenanceTab(panel, { admin, refs }) {
  const windowsSlot = h('div', {}, loading('Loading maintenance windows…'));
  const windowForm = admin ? buildWindowForm() : null;
  const rows = h('tbody');
  const pages = pager({
    path: '/alerts/maintenance',
    onPage(items, { first }) {
      if (first) {
        rows.replaceChildren();
        if (items.length === 0) {
          replace(windowsSlot, empty(admin ? 'No maintenance windows — add one below before planned work.' : 'No maintenance windows.'));
          return;
        }
        const t = table(['Window', 'Covers', 'When', 'Now', admin ? 'Actions' : null], []);
        t.querySelector('tbody').replaceWith(rows);
        replace(windowsSlot, t);
      }
      rows.append(...items.map(windowRow));
    },
  });
  replace(panel,
    h('p', { class: 'muted' }, 'Inside a maintenance window incidents are still recorded and shown here, but nothing is sent for the rules and bots it covers.'),
    windowsSlot,
    pages.foot,
    windowForm ? h('section', { class: 'card section' }, windowForm.form) : null);

  function windowRow(w) {
    const over = w.once && Date.parse(w.once.ends_at) < Date.now();
    const del = admin
      ? deleteButton(w.name, { what: 'window', path: `/alerts/maintenance/${w.id}`, body: w.active_now ? 'It is on now: alerts it mutes are sent again from the next check.' : null }, loadWindows)
      : null;
    return h('tr', { dataset: { window: w.id } },
      h('td', {}, h('strong', {}, w.name)),
      h('td', {}, w.rule_id ? `Rule ${refs.ruleName(w.rule_id)}` : 'Every rule', ', ', w.bot_id ? refs.botName(w.bot_id) : 'every bot and the node'),
      h('td', {}, schedule(w)),
      h('td', {}, w.active_now ? badge('warn', '◐', 'Active now') : over ? h('span', { class: 'muted' }, 'Over') : h('span', { class: 'muted' }, 'Not now')),
      admin ? h('td', {}, del) : null);
  }

  async function loadWindows() {
    await refs.load({ withRules: true });
    windowForm?.refresh();
    try {
      await pages.first();
    } catch (err) {
      replace(windowsSlot, failed(err, loadWindows));
    }
  }

  function buildWindowForm() {
    const heading = h('h2', { id: uid('window-form') }, 'Add a maintenance window');
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000); // from this minute: on at once
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time';
    const repeat = h('fieldset', { dataset: { field: 'once' } },
      h('legend', {}, 'Repeats'),
      h('div', { class: 'radios' },
        h('label', { class: 'check-row' }, h('input', { type: 'radio', name: 'repeat', value: 'once', defaultChecked: true }), 'Once'),
        h('label', { class: 'check-row' }, h('input', { type: 'radio', name: 'repeat', value: 'weekly' }), 'Every week')));
    const once = h('div', { class: 'row-fields' },
      field({ label: 'Starts', name: 'once.starts_at', type: 'datetime-local', value: localInput(start), hint: `Your time (${zone}).` }),
      field({ label: 'Ends', name: 'once.ends_at', type: 'datetime-local', value: localInput(new Date(start.getTime() + 3600e3)), hint: `Your time (${zone}).` }));
    const weekly = h('div', { hidden: true },
      h('fieldset', { dataset: { field: 'weekly.days' } }, h('legend', {}, 'Days'),
        h('div', { class: 'days' }, DAYS.map(([k, label]) => h('label', { class: 'check-row' }, h('input', { type: 'checkbox', name: 'weekly.days', value: k }), label)))),
      h('div', { class: 'row-fields' },
        field({ label: 'Starts at (UTC)', name: 'weekly.start', type: 'time', value: '02:00', hint: 'HH:MM in UTC.' }),
        field({ label: 'Lasts (minutes)', name: 'weekly.duration_minutes', type: 'number', min: '1', step: '1', value: '60', hint: '1 to 10080 (a week).' })));
    const rule = field({ tag: 'select', label: 'Rule', name: 'rule_id', options: [['', 'Every rule']], value: '' });
    const bot = field({ tag: 'select', label: 'Bot', name: 'bot_id', options: [['', 'Every bot and the node']], value: '' });
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'e.g. "Nightly backup" or "Moving servers".' }),
      repeat, once, weekly,
      h('div', { class: 'row-fields' }, rule, bot),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add window')));
    /** One-off times from this minute for an hour (the defaults, fresh each time the form is shown). */
    const freshTimes = () => {
      const from = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      form.elements['once.starts_at'].value = localInput(from);
      form.elements['once.ends_at'].value = localInput(new Date(from.getTime() + 3600e3));
    };
    const showRepeat = () => {
      const isOnce = form.elements.repeat.value === 'once';
      once.hidden = !isOnce;
      weekly.hidden = isOnce;
    };
    repeat.addEventListener('change', showRepeat);

    function refresh() {
      fillSelect(form.elements.rule_id, 'Every rule', refs.rules.map((r) => [r.id, r.name]));
      fillSelect(form.elements.bot_id, 'Every bot and the node', [...refs.bots.values()].map((b) => [b.id, b.name]));
    }

    onSubmit(form, 'Adding…', async (data) => {
      const body = { name: String(data.get('name') ?? '').trim() };
      if (data.get('rule_id')) body.rule_id = Number(data.get('rule_id'));
      if (data.get('bot_id')) body.bot_id = Number(data.get('bot_id'));
      if (data.get('repeat') === 'once') {
        const iso = (name) => {
          const d = new Date(String(data.get(name) ?? ''));
          return Number.isNaN(d.getTime()) ? '' : d.toISOString();
        };
        body.once = { starts_at: iso('once.starts_at'), ends_at: iso('once.ends_at') };
      } else {
        const minutes = String(data.get('weekly.duration_minutes') ?? '').trim();
        const n = Number(minutes);
        if (minutes === '' || !Number.isInteger(n) || n < 0) throw invalid([{ field: 'weekly.duration_minutes', message: 'must be a whole number of minutes' }]);
        body.weekly = { days: data.getAll('weekly.days'), start: String(data.get('weekly.start') ?? ''), duration_minutes: n };
      }
      const saved = await api.post('/alerts/maintenance', body);
      toast(`${saved.name} added${saved.active_now ? ': on now' : ''}`);
      form.reset();
      freshTimes();
      showRepeat();
      loadWindows();
    });
    let shown = false;
    return {
      form,
      refresh() {
        refresh();
        if (!shown) freshTimes(); // not later: the 60 s reload must not overwrite what is being typed
        shown = true;
      },
    };
  }

  return { load: loadWindows };
}
