// Schedules: messages a bot posts to a channel once at a time, or repeatedly by a cron expression
// read on a time zone's clock. The list shows each schedule's bot, channel, message, when it
// fires, its next run and how its last run went, with an on/off switch; "Runs" opens its runs,
// each linking to the job that sent it (#/jobs/{id}). Operators add schedules with a form whose
// "next runs" preview the server computes as they type.

import { api } from '../api.js';
import { h, replace, act, field, onSubmit, toast, loading, empty, failed, timeEl, uid, debounce } from '../ui.js';
import { table, deleteButton } from '../parts/admin-table.js';
import { fillSelect, invalid } from '../parts/form-extras.js';
import { channelSelect, followBot } from '../parts/channels.js';

const PAGE = 50;
const RUN_WORDS = { queued: 'Sending', sent: 'Sent', failed: 'Failed', skipped: 'Skipped' };
const RUN_KIND = { queued: 'neutral', sent: 'ok', failed: 'err', skipped: 'warn' };

/** A value for `<input type=datetime-local>` (local time) from a Date. */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A run's state in words, with a link to its job when it has one. */
function runBadge(run) {
  const badge = h('span', { class: ['badge', `badge-${RUN_KIND[run.state] ?? 'neutral'}`] }, RUN_WORDS[run.state] ?? run.state);
  return h('span', { class: 'run' }, badge, run.late ? h('span', { class: 'muted' }, ' late') : null,
    run.job_id ? h('span', {}, ' ', h('a', { href: `#/jobs/${run.job_id}` }, `job #${run.job_id}`)) : null);
}

/** When a schedule fires, in words. */
function whenWords(s) {
  if (s.once) return h('span', {}, 'Once: ', timeEl(s.once));
  return h('span', {}, h('code', {}, s.cron), ` (${s.time_zone})`);
}

/** The next runs as a list: the zone's clock, and UTC as the tooltip. */
function nextRunsList(runs, zone) {
  if (!runs.length) return h('p', { class: 'muted' }, 'No next run.');
  return h('ol', { class: 'next-runs', 'aria-label': 'Next runs' }, runs.map((r) =>
    h('li', {}, h('time', { datetime: r.at, title: `${r.at} (UTC)` }, `${r.local.replace('T', ' ').slice(0, 16)} ${zone}`))));
}

export function mount(main, { can }) {
  const manage = can('schedules.manage');
  const slot = h('div', {}, loading('Loading schedules…'));
  const foot = h('div', { class: 'list-foot' });
  const more = h('button', { class: 'btn', type: 'button' }, 'Load older');
  const bots = new Map();
  const form = manage ? buildForm() : null;
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Schedules')),
    h('p', { class: 'muted' }, 'Announcements a bot posts by itself: once at a set time, or repeatedly (every day at 09:00, every Friday…). Each run is a job you can follow.'),
    slot, foot,
    form ? h('section', { class: 'card section' }, form.el) : null);

  let cursor = null;
  let body = null;
  let stopped = false;

  const botName = (id) => bots.get(id)?.name ?? `Bot ${id}`;

  function row(s) {
    const runsRow = h('tr', { class: 'schedule-runs', hidden: true }, h('td', { colspan: manage ? 8 : 7 }));
    const toggle = h('input', { type: 'checkbox', checked: s.enabled, disabled: !manage, 'aria-label': `Enabled: ${s.message.content || 'schedule ' + s.id}` });
    toggle.addEventListener('change', async () => {
      const want = toggle.checked;
      toggle.disabled = true;
      try {
        const saved = await api.patch(`/schedules/${s.id}`, { enabled: want });
        toast(want ? 'Schedule on' : 'Schedule off');
        tr.replaceWith(...row(saved));
      } catch (err) {
        toggle.checked = !want;
        toggle.disabled = false;
        toast(err.fields?.[0]?.message ?? err.message, 'error');
      }
    });
    const runsButton = h('button', { class: 'btn btn-small', type: 'button', 'aria-expanded': 'false' }, 'Runs');
    runsButton.addEventListener('click', () => act(runsButton, 'Loading…', async () => {
      const open = runsRow.hidden;
      runsButton.setAttribute('aria-expanded', String(open));
      if (!open) { runsRow.hidden = true; return; }
      const page = await api.get(`/schedules/${s.id}/runs`, { limit: 20 });
      replace(runsRow.firstChild, page.items.length
        ? h('ul', { class: 'runs-list' }, page.items.map((r) => h('li', { dataset: { run: r.id } }, timeEl(r.at), ' ', runBadge(r))))
        : h('p', { class: 'muted' }, 'No runs yet.'));
      runsRow.hidden = false;
    }));
    const name = s.message.content || `schedule ${s.id}`;
    const next = s.next_runs[0];
    const tr = h('tr', { dataset: { schedule: s.id } },
      h('td', {}, h('span', { class: 'message-text' }, s.message.content || `${s.message.embeds.length} embed(s)`)),
      h('td', {}, botName(s.bot_id), h('div', { class: 'muted' }, `#${s.channel_id}`)),
      h('td', {}, whenWords(s)),
      h('td', { class: 'nowrap next-run' }, next ? h('time', { datetime: next.at, title: `${next.at} (UTC)` }, `${next.local.replace('T', ' ').slice(0, 16)}`) : h('span', { class: 'muted' }, s.enabled ? 'Done' : 'Off')),
      h('td', { class: 'nowrap last-run' }, s.last_run ? runBadge(s.last_run) : h('span', { class: 'muted' }, 'Not yet')),
      h('td', {}, h('label', { class: 'switch' }, toggle)),
      h('td', { class: 'nowrap' }, runsButton),
      manage ? h('td', {}, deleteButton(name, { what: 'schedule', path: `/schedules/${s.id}` }, () => load())) : null);
    return [tr, runsRow];
  }

  async function load(older = false) {
    try {
      if (!older) {
        const list = await api.get('/bots', { limit: 200 });
        bots.clear();
        for (const b of list.items) bots.set(b.id, b);
        form?.refresh();
      }
      const page = await api.get('/schedules', { limit: PAGE, cursor: older ? cursor : undefined });
      if (stopped) return;
      cursor = page.next_cursor;
      if (!older) {
        if (page.items.length === 0) {
          body = null;
          replace(slot, empty(manage ? 'No schedules yet — add one below.' : 'No schedules yet.'));
        } else {
          body = h('tbody', {});
          replace(slot, h('div', { class: 'table-wrap' }, h('table', { class: 'schedules-table' },
            h('thead', {}, h('tr', {}, ['Message', 'Bot and channel', 'When', 'Next run', 'Last run', 'On', '', manage ? 'Actions' : null]
              .filter((c) => c !== null).map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, 'Runs'))))),
            body)));
        }
      }
      for (const s of page.items) body?.append(...row(s));
      replace(foot, cursor ? more : null);
    } catch (err) {
      if (older) throw err;
      replace(slot, failed(err, () => load()));
    }
  }

  function buildForm() {
    const heading = h('h2', { id: uid('schedule-form') }, 'Add a schedule');
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
    const start = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3 + 3600e3);
    const repeat = h('fieldset', {},
      h('legend', {}, 'Sends'),
      h('div', { class: 'radios' },
        h('label', { class: 'check-row' }, h('input', { type: 'radio', name: 'repeat', value: 'cron', defaultChecked: true }), 'Repeatedly'),
        h('label', { class: 'check-row' }, h('input', { type: 'radio', name: 'repeat', value: 'once' }), 'Once')));
    const cron = h('div', { class: 'row-fields' },
      field({ label: 'Cron expression', name: 'cron', autocomplete: 'off', value: '0 9 * * *', hint: 'minute hour day-of-month month day-of-week: "0 9 * * *" is every day at 09:00, "30 17 * * FRI" every Friday at 17:30.' }),
      field({ label: 'Time zone', name: 'time_zone', autocomplete: 'off', value: zone, hint: 'An IANA name, such as Europe/Berlin or UTC.' }));
    const once = h('div', { hidden: true },
      field({ label: 'At', name: 'once', type: 'datetime-local', value: localInput(start), hint: `Your time (${zone}).` }));
    const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
    // The chosen bot's channels by name: picking one fills the channel id.
    const picker = h('div', {});
    const el = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      h('div', { class: 'row-fields' },
        field({ tag: 'select', label: 'Bot', name: 'bot_id', options: [['', 'Choose a bot']], value: '' }),
        field({ label: 'Channel id', name: 'channel_id', autocomplete: 'off', inputmode: 'numeric', hint: 'The channel the bot posts in (Discord: right-click the channel, Copy Channel ID).' })),
      picker,
      field({ tag: 'textarea', label: 'Message', name: 'message.content', rows: '3', maxlength: '2000', hint: 'Up to 2,000 characters. Nobody is pinged, whatever it says.' }),
      repeat, cron, once,
      h('div', { class: 'field' }, h('h3', {}, 'Next runs'), preview),
      field({ tag: 'select', label: 'If runs are missed while botfleet is down', name: 'missed', options: [['send_late', 'Send the latest once, late'], ['skip', 'Skip them']], value: 'send_late' }),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add schedule')));

    followBot(el.elements.bot_id, picker, (directory) => {
      const select = channelSelect({ label: 'Pick a channel', name: 'channel_pick', directory, offText: '—', value: el.elements.channel_id.value });
      select.querySelector('select').addEventListener('change', (e) => { if (e.target.value) el.elements.channel_id.value = e.target.value; });
      return select;
    });

    const timing = () => {
      if (el.elements.repeat.value === 'once') {
        const d = new Date(String(el.elements.once.value));
        return { once: Number.isNaN(d.getTime()) ? '' : d.toISOString() };
      }
      return { cron: el.elements.cron.value.trim(), time_zone: el.elements.time_zone.value.trim() };
    };
    let asked = 0;
    const showPreview = debounce(async () => {
      const mine = ++asked;
      const wanted = timing();
      const zoneName = wanted.time_zone || 'UTC';
      try {
        const answer = await api.post('/schedules/preview', wanted);
        if (mine === asked) replace(preview, nextRunsList(answer.next_runs, answer.time_zone ?? zoneName));
      } catch (err) {
        if (mine === asked) replace(preview, h('p', { class: 'field-error' }, (err.fields ?? []).map((f) => `${f.field}: ${f.message}`).join('; ') || err.message));
      }
    }, 250);
    const showRepeat = () => {
      const isOnce = el.elements.repeat.value === 'once';
      once.hidden = !isOnce;
      cron.hidden = isOnce;
      showPreview();
    };
    repeat.addEventListener('change', showRepeat);
    el.addEventListener('input', (e) => { if (['cron', 'time_zone', 'once'].includes(e.target.name)) showPreview(); });

    onSubmit(el, 'Adding…', async (data) => {
      if (!data.get('bot_id')) throw invalid([{ field: 'bot_id', message: 'choose the bot that posts' }]);
      const body = {
        bot_id: Number(data.get('bot_id')),
        channel_id: String(data.get('channel_id') ?? '').trim(),
        message: { content: String(data.get('message.content') ?? '') },
        missed: String(data.get('missed')),
        ...timing(),
      };
      const saved = await api.post('/schedules', body);
      const next = saved.next_runs[0];
      toast(next ? `Schedule added: next run ${next.local.replace('T', ' ').slice(0, 16)}` : 'Schedule added');
      el.elements['message.content'].value = '';
      load();
    });
    showPreview();
    return {
      el,
      refresh() {
        fillSelect(el.elements.bot_id, 'Choose a bot', [...bots.values()].map((b) => [b.id, b.name]));
      },
    };
  }

  more.addEventListener('click', () => act(more, 'Loading…', () => load(true)));
  load();
  const every = setInterval(() => { if (!document.hidden) load(); }, 30_000);
  return () => {
    stopped = true;
    clearInterval(every);
  };
}
