// Webhooks: outgoing notifications of any event — bot status, commands (narrowed by bot, command and
// outcome), stock changes, audit actions, finished jobs, alerts — to an HTTP endpoint (signed JSON)
// or a Discord channel webhook (embeds). Each webhook shows its state (a webhook that failed too
// often in a row is paused, with why, and resumes by hand), "Send test" with the receiver's answer,
// and its delivery history (each event, its attempts, the last answer). Admins make and change
// them; everyone who may read them sees the list and the history.

import { api } from '../api.js';
import { h, replace, act, field, onSubmit, toast, loading, failed, empty, uid, timeEl } from '../ui.js';
import { badge } from '../parts/alert-words.js';
import { table, editButton, deleteButton } from '../parts/admin-table.js';
import { pager } from '../parts/pager.js';
import { bots as botMap } from '../parts/rows.js';

const EVENTS = [
  ['bot_status', 'Bot status changes'],
  ['command', 'Commands'],
  ['stock', 'Stock changes'],
  ['audit', 'Audit actions'],
  ['job', 'Finished jobs'],
  ['alert', 'Alerts'],
];
const OUTCOMES = [['ok', 'ok'], ['error', 'error'], ['denied', 'denied']];
const eventLabel = (e) => EVENTS.find(([k]) => k === e)?.[1] ?? e;

export function mount(main, { can }) {
  const admin = can('webhooks.manage');
  const listSlot = h('div', {}, loading('Loading webhooks…'));
  const historySlot = h('div', { 'aria-live': 'polite' });
  const rows = h('tbody');
  let knownBots = new Map();
  const form = admin ? buildForm() : null;
  const pages = pager({
    path: '/webhooks',
    onPage(items, { first }) {
      if (first) {
        rows.replaceChildren();
        if (items.length === 0) {
          replace(listSlot, empty(admin ? 'No webhooks yet — add one below.' : 'No webhooks yet.'));
          return;
        }
        const t = table(['Webhook', 'Events', 'State', 'Test', admin ? 'Actions' : null], []);
        t.querySelector('tbody').replaceWith(rows);
        replace(listSlot, t);
      }
      rows.append(...items.map(row));
    },
  });
  replace(main,
    h('h1', {}, 'Webhooks'),
    h('p', { class: 'muted' }, 'Tell other systems what happens: each event you choose is sent to an HTTP endpoint as signed JSON (X-Botfleet-Signature: HMAC-SHA256 of "timestamp.body"), or to a Discord channel webhook as an embed. Failed deliveries are retried with backoff; a webhook failing 10 times in a row is paused until you resume it.'),
    listSlot, pages.foot, historySlot,
    form ? h('section', { class: 'card section' }, form.form) : null);

  function filtersText(w) {
    const f = w.filters ?? {};
    const parts = [];
    if (f.bot_ids) parts.push(`bots: ${f.bot_ids.map((id) => knownBots.get(id)?.name ?? `#${id}`).join(', ')}`);
    if (f.commands) parts.push(`commands: ${f.commands.join(', ')}`);
    if (f.outcomes) parts.push(`outcomes: ${f.outcomes.join(', ')}`);
    return parts.join('; ');
  }

  function row(w) {
    const result = h('span', { class: 'test-result', role: 'status' });
    const test = admin ? h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Send a test to ${w.name}` }, 'Send test') : null;
    test?.addEventListener('click', async () => {
      replace(result);
      const r = await act(test, 'Sending…', () => api.post(`/webhooks/${w.id}/test`));
      if (!r) return;
      replace(result, r.delivered
        ? h('span', {}, badge('ok', '✓', `Delivered (${r.status})`))
        : h('span', {}, badge('err', '✕', 'Not delivered'), ' ', h('span', { class: 'delivery-error' }, r.error ?? 'no reason given')));
      if (shownHistory === w.id) showHistory(w);
    });
    const history = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Delivery history of ${w.name}` }, 'History');
    history.addEventListener('click', () => showHistory(w));
    const paused = w.state === 'paused';
    const toggle = admin ? h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `${paused ? 'Resume' : 'Pause'} ${w.name}` }, paused ? 'Resume' : 'Pause') : null;
    toggle?.addEventListener('click', async () => {
      const done = await act(toggle, paused ? 'Resuming…' : 'Pausing…', () => api.post(`/webhooks/${w.id}/${paused ? 'resume' : 'pause'}`), paused ? `${w.name} resumed` : `${w.name} paused`);
      if (done) load();
    });
    const edit = admin ? editButton(w.name, () => form.edit(w)) : null;
    const del = admin ? deleteButton(w.name, { what: 'webhook', path: `/webhooks/${w.id}`, body: 'Its delivery history goes with it; deliveries still waiting are dropped.' }, () => {
      if (form.editing() === w.id) form.reset();
      load();
    }) : null;
    const state = paused
      ? h('div', {}, badge('err', '⏸', 'Paused'), h('p', { class: 'muted' }, w.paused_reason ?? ''))
      : h('div', {}, badge('ok', '●', 'Active'), w.failures_in_a_row > 0 ? h('p', { class: 'muted' }, `${w.failures_in_a_row} failed attempts in a row`) : null);
    const filters = filtersText(w);
    return h('tr', { dataset: { webhook: w.id } },
      h('td', {}, h('strong', {}, w.name), h('div', { class: 'muted' }, w.kind === 'discord_webhook' ? 'Discord webhook' : 'HTTP webhook (signed)'), h('div', { class: 'cmd wrap' }, w.target)),
      h('td', { class: 'wrap' }, w.events.map(eventLabel).join(', '), filters ? h('div', { class: 'muted' }, filters) : null),
      h('td', {}, state),
      h('td', {}, h('div', { class: 'test-cell' }, test, result)),
      admin ? h('td', {}, h('div', { class: 'actions' }, history, toggle, edit, del)) : h('td', {}, history));
  }

  let shownHistory = null;
  function showHistory(w) {
    shownHistory = w.id;
    const tbody = h('tbody');
    const slot = h('div', {}, loading('Loading deliveries…'));
    const history = pager({
      path: `/webhooks/${w.id}/deliveries`,
      onPage(items, { first }) {
        if (first && items.length === 0) {
          replace(slot, empty('No deliveries yet: they appear here as events happen.'));
          return;
        }
        if (first) {
          tbody.replaceChildren();
          const t = table(['Event', 'When', 'State', 'Attempts', 'Receiver said'], []);
          t.querySelector('tbody').replaceWith(tbody);
          replace(slot, t);
        }
        tbody.append(...items.map((d) => h('tr', { dataset: { delivery: d.id } },
          h('td', {}, h('span', {}, d.event_type === 'test' ? 'Test' : eventLabel(d.event_type)), h('div', { class: 'cmd wrap' }, d.event_id)),
          h('td', {}, timeEl(d.created_at)),
          h('td', {}, d.state === 'sent'
            ? badge('ok', '✓', 'Sent')
            : d.state === 'failed'
              ? badge('err', '✕', 'Given up')
              : h('span', {}, badge('warn', '↻', 'Retrying'), d.next_attempt_at ? h('span', { class: 'muted' }, ' next ', timeEl(d.next_attempt_at)) : null)),
          h('td', {}, String(d.attempts)),
          h('td', { class: 'wrap' }, d.last_status ? `HTTP ${d.last_status}` : '', d.last_error ? h('div', { class: 'delivery-error' }, d.last_error) : null))));
      },
    });
    const headingId = uid('history');
    replace(historySlot, h('section', { class: 'card section', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, `Deliveries of ${w.name}`), slot, history.foot));
    history.first().catch((err) => replace(slot, failed(err, () => showHistory(w))));
  }

  async function load() {
    try {
      knownBots = await botMap().catch(() => new Map());
      form?.refreshBots(knownBots);
      await pages.first();
    } catch (err) {
      replace(listSlot, failed(err, load));
    }
  }

  function buildForm() {
    const heading = h('h2', { id: uid('webhook-form') }, 'Add a webhook');
    const kind = field({ tag: 'select', label: 'Kind', name: 'kind', options: [['http_webhook', 'HTTP webhook (signed JSON)'], ['discord_webhook', 'Discord webhook (embeds)']], value: 'http_webhook' });
    const url = field({ label: 'URL', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', hint: 'Stored encrypted; only its start is shown again.' });
    const secret = field({ label: 'Signing secret', name: 'secret', type: 'password', autocomplete: 'new-password', hint: '16 to 256 characters: the HMAC-SHA256 key of X-Botfleet-Signature (t=<unix seconds>,v1=<hex>); refuse deliveries whose timestamp is old.' });
    const events = h('fieldset', { dataset: { field: 'events' } }, h('legend', {}, 'Events'),
      h('div', { class: 'checks' }, EVENTS.map(([value, label]) => h('label', { class: 'check-label' }, h('input', { type: 'checkbox', name: 'events', value }), label))));
    const botBox = h('div', { class: 'checks' });
    const filters = h('fieldset', { dataset: { field: 'filters' } }, h('legend', {}, 'Only these (none ticked: all)'),
      h('div', { dataset: { field: 'filters.bot_ids' } }, h('p', { class: 'muted' }, 'Bots (their status, commands, alerts and audit rows)'), botBox),
      field({ label: 'Commands', name: 'commands', autocomplete: 'off', hint: 'Command names, comma separated (e.g. stock, ping); empty: every command.' }),
      h('div', { dataset: { field: 'filters.outcomes' } }, h('p', { class: 'muted' }, 'Command outcomes'),
        h('div', { class: 'checks' }, OUTCOMES.map(([value, label]) => h('label', { class: 'check-label' }, h('input', { type: 'checkbox', name: 'outcomes', value }), label)))));
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add webhook');
    const cancel = h('button', { class: 'btn', type: 'button', hidden: true }, 'Cancel');
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'e.g. "Order system" or "#shop-feed on Discord".' }),
      kind, url, secret, events, filters,
      h('div', { class: 'actions' }, submit, cancel));
    const kindSelect = kind.querySelector('select');
    let editing = null;
    let version = 0;

    function showKind() {
      secret.hidden = kindSelect.value !== 'http_webhook';
      url.querySelector('.hint').textContent = editing
        ? 'Leave empty to keep the current URL.'
        : kindSelect.value === 'http_webhook'
          ? 'An http:// or https:// endpoint that accepts a POST of JSON. Stored encrypted; only its start is shown again.'
          : 'https://discord.com/api/webhooks/…/… (Channel settings → Integrations → Webhooks). Stored encrypted.';
    }
    kindSelect.addEventListener('change', showKind);

    function refreshBots(map) {
      const ticked = new Set([...botBox.querySelectorAll('input:checked')].map((i) => i.value));
      botBox.replaceChildren(...[...map.values()].map((b) => h('label', { class: 'check-label' },
        h('input', { type: 'checkbox', name: 'bot_ids', value: String(b.id), checked: ticked.has(String(b.id)) }), b.name)));
    }

    function reset() {
      editing = null;
      form.reset();
      kindSelect.disabled = false;
      heading.textContent = 'Add a webhook';
      submit.textContent = 'Add webhook';
      cancel.hidden = true;
      showKind();
    }

    function edit(w) {
      reset();
      editing = w.id;
      version = w.version;
      heading.textContent = `Edit "${w.name}"`;
      submit.textContent = 'Save webhook';
      cancel.hidden = false;
      form.elements.name.value = w.name;
      kindSelect.value = w.kind;
      kindSelect.disabled = true; // a webhook keeps its kind
      form.elements.url.placeholder = w.target;
      for (const box of form.querySelectorAll('input[name="events"]')) box.checked = w.events.includes(box.value);
      for (const box of form.querySelectorAll('input[name="bot_ids"]')) box.checked = (w.filters.bot_ids ?? []).includes(Number(box.value));
      for (const box of form.querySelectorAll('input[name="outcomes"]')) box.checked = (w.filters.outcomes ?? []).includes(box.value);
      form.elements.commands.value = (w.filters.commands ?? []).join(', ');
      showKind();
      form.scrollIntoView({ block: 'start' });
      form.elements.name.focus({ preventScroll: true });
    }
    cancel.addEventListener('click', reset);

    onSubmit(form, 'Saving…', async (data) => {
      const listOrNull = (list) => (list.length ? list : null);
      const body = {
        name: String(data.get('name') ?? '').trim(),
        events: data.getAll('events'),
        filters: {
          bot_ids: listOrNull(data.getAll('bot_ids').map(Number)),
          commands: listOrNull(String(data.get('commands') ?? '').split(',').map((c) => c.trim()).filter(Boolean)),
          outcomes: listOrNull(data.getAll('outcomes')),
        },
      };
      const urlText = String(data.get('url') ?? '').trim();
      const secretText = String(data.get('secret') ?? '');
      let saved;
      if (editing) {
        if (urlText) body.url = urlText;
        if (secretText) body.secret = secretText;
        saved = await api.put(`/webhooks/${editing}`, { version, ...body });
      } else {
        body.kind = kindSelect.value;
        body.url = urlText;
        if (kindSelect.value === 'http_webhook') body.secret = secretText;
        saved = await api.post('/webhooks', body);
      }
      toast(editing ? `${saved.name} saved` : `${saved.name} added: press "Send test" to try it`);
      reset();
      form.elements.url.placeholder = '';
      load();
    });
    showKind();
    return { form, reset, edit, refreshBots, editing: () => editing };
  }

  load();
}
