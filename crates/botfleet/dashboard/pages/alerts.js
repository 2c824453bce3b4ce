// Alerts: the incidents (firing first, then history with "load older"), each opening to its
// notification timeline with every delivery's state; acknowledge for operators and admins. Admins
// also manage the rules (the condition's kind decides which numbers the form asks for), the
// notification channels (with "Send test") and the maintenance windows; everyone else sees rules
// and windows read-only, and no channel list (it is admin-only on the server too). Tabs keep their
// place in the URL (`#/alerts?tab=rules`); `?incident=ID` opens one incident's timeline.

import { api, ApiError } from '../api.js';
import * as live from '../live.js';
import {
  h, replace, act, field, onSubmit, toast, confirmAction, loading, failed, empty, timeEl, uid, num,
} from '../ui.js';
import { bots as botMap } from '../parts/rows.js';
import { acknowledge } from '../parts/alert-banner.js';

const HISTORY_PAGE = 20;

/** Every number a condition can have: label, hint, default, and whether it may have decimals. */
const NUMBERS = {
  for_seconds: ['Down for (seconds)', '0 to 86400: how long a bot that should run may be down before it counts.', 60],
  reconnects: ['Reconnections', '1 to 10000 new sessions or resumes within the window.', 5],
  p99_ms: ['p99 reply latency above (ms)', '1 to 60000.', 2000],
  percent: ['Errors above (%)', '0 to under 100 percent of the commands in the window.', 10, true],
  min_commands: ['At least this many commands', '1 or more: fewer commands in the window never fire.', 5],
  count: ['429 answers, more than', '0 or more rate-limit answers from Discord within the window.', 10],
  queue_depth: ['Records waiting, more than', '0 or more records queued for the tracking writer (a dropped record fires too).', 1000],
  megabytes: ['Memory above (MB)', "1 to 1048576 MB of this process's resident memory.", 512],
  within_seconds: ['Within (seconds)', '10 to 3600: the window it looks back over.', 300],
};

/** Condition kinds: label, its numbers (in order), and whether it is judged per bot. */
const KINDS = {
  bot_down: { label: 'Bot down', numbers: ['for_seconds'], perBot: true },
  reconnect_storm: { label: 'Reconnect storm', numbers: ['reconnects', 'within_seconds'], perBot: true },
  reply_latency: { label: 'Slow replies (p99 latency)', numbers: ['p99_ms', 'within_seconds'], perBot: true },
  error_rate: { label: 'Error rate', numbers: ['percent', 'within_seconds', 'min_commands'], perBot: true },
  rate_limited: { label: 'Rate limited by Discord', numbers: ['count', 'within_seconds'], perBot: true },
  tracking_backlog: { label: 'Tracking backlog', numbers: ['queue_depth'], perBot: false },
  database_unreachable: { label: 'Database unreachable', numbers: [], perBot: false },
  memory_over: { label: 'Memory over', numbers: ['megabytes'], perBot: false },
};

/** A condition in words. */
export function describeCondition(c) {
  switch (c.kind) {
    case 'bot_down': return `Bot down for ${num(c.for_seconds)} s`;
    case 'reconnect_storm': return `${num(c.reconnects)}+ reconnections within ${num(c.within_seconds)} s`;
    case 'reply_latency': return `p99 reply latency above ${num(c.p99_ms)} ms over ${num(c.within_seconds)} s`;
    case 'error_rate': return `Errors above ${c.percent}% over ${num(c.within_seconds)} s (at least ${num(c.min_commands)} commands)`;
    case 'rate_limited': return `More than ${num(c.count)} rate-limit answers within ${num(c.within_seconds)} s`;
    case 'tracking_backlog': return `More than ${num(c.queue_depth)} records waiting for tracking`;
    case 'database_unreachable': return 'The database does not answer';
    case 'memory_over': return `Memory above ${num(c.megabytes)} MB`;
    default: return c.kind;
  }
}

const NOTIFICATION_WORDS = { firing: 'Fired', resent: 'Sent again', recovered: 'Recovered', acknowledged: 'Acknowledged', test: 'Test' };
const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];

/** A length of time in short words: 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}

/** A badge: a symbol and a word, never colour alone. */
const badge = (kind, symbol, word) => h('span', { class: ['badge', `badge-${kind}`] }, h('span', { 'aria-hidden': 'true' }, symbol), word);

function stateBadge(incident) {
  if (incident.state !== 'firing') return badge('ok', '✓', 'Resolved');
  if (incident.acknowledged_at) return badge('warn', '●', 'Acknowledged');
  return badge('err', '▲', 'Firing');
}

/** A 422-shaped error made in the page, so a value the API could not even parse is shown like the API's own errors. */
const invalid = (fields) => new ApiError(422, 'validation', 'Some values need fixing.', fields);

/** A value for `<input type=datetime-local>` (local time) from a Date. */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function mount(main, ctx) {
  const { can, query, navigate } = ctx;
  const admin = can('alerts.manage');
  const mayAck = can('alerts.acknowledge');
  const timers = [];
  let bots = new Map();
  let channels = []; // admins only
  let rules = [];

  // ---- tabs ---------------------------------------------------------------------------------

  const TABS = [
    ['incidents', 'Incidents'],
    ['rules', 'Rules'],
    admin ? ['channels', 'Channels'] : null,
    ['maintenance', 'Maintenance'],
  ].filter(Boolean);
  const tabs = new Map();
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Alerts' });
  const panels = h('div', {});
  for (const [key, label] of TABS) {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const tab = h('button', { class: 'tab', type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1' }, label);
    const panel = h('section', { class: 'tab-panel', role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0', hidden: true });
    tab.addEventListener('click', () => select(key, true));
    tablist.append(tab);
    panels.append(panel);
    tabs.set(key, { tab, panel, loaded: false });
  }
  tablist.addEventListener('keydown', (e) => {
    const keys = [...tabs.keys()];
    const at = keys.indexOf(current);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const key = keys[(to + keys.length) % keys.length];
    select(key, true);
    tabs.get(key).tab.focus();
  });
  let current = null;

  function select(key, remember) {
    if (!tabs.has(key)) key = 'incidents';
    current = key;
    for (const [k, t] of tabs) {
      const on = k === key;
      t.tab.setAttribute('aria-selected', String(on));
      t.tab.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
    }
    const t = tabs.get(key);
    if (!t.loaded) {
      t.loaded = true;
      LOADERS[key]();
    }
    if (remember) navigate(key === 'incidents' ? '#/alerts' : `#/alerts?tab=${key}`, { replace: true });
  }

  const firingCount = h('span', { class: 'muted' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Alerts'), firingCount), tablist, panels);

  /** The bots, channels (admins) and rules the lists and forms name; loaded once, refreshed on demand. */
  async function references({ withRules = false } = {}) {
    const jobs = [botMap().then((m) => { bots = m; }).catch(() => {})];
    if (admin) jobs.push(api.get('/alerts/channels').then((r) => { channels = r.items; }).catch(() => {}));
    if (withRules) jobs.push(api.get('/alerts/rules').then((r) => { rules = r.items; }).catch(() => {}));
    await Promise.all(jobs);
  }
  const botName = (id) => bots.get(id)?.name ?? `Bot ${id}`;
  const channelName = (id) => channels.find((c) => c.id === id)?.name ?? `Channel ${id}`;
  const ruleName = (id) => rules.find((r) => r.id === id)?.name ?? `Rule ${id}`;

  // ---- incidents ----------------------------------------------------------------------------

  const cards = new Map(); // id -> {incident, li, body, timeline, toggle, open}
  const firingList = h('ul', { class: 'incidents', 'aria-labelledby': 'firing-h' });
  const historyList = h('ul', { class: 'incidents', 'aria-labelledby': 'history-h' });
  const firingSlot = h('div', {}, loading('Loading alerts…'));
  const historySlot = h('div', {}, loading('Loading history…'));
  const historyFoot = h('div', { class: 'list-foot' });
  const older = h('button', { class: 'btn', type: 'button' }, 'Load older');
  let historyCursor = null;
  let pagedOlder = false;
  replace(tabs.get('incidents').panel,
    h('section', { class: 'section-tight' }, h('h2', { id: 'firing-h' }, 'Firing now'), firingSlot),
    h('section', { class: 'section' }, h('h2', { id: 'history-h' }, 'History'), historySlot, historyFoot));

  function drawCard(card) {
    const i = card.incident;
    const focused = card.body.contains(document.activeElement) ? document.activeElement : null;
    const ack = mayAck && i.state === 'firing' && !i.acknowledged_at
      ? h('button', { class: 'btn btn-small', type: 'button' }, 'Acknowledge')
      : null;
    ack?.addEventListener('click', async () => {
      const saved = await acknowledge(ack, i);
      if (saved) {
        upsert(saved);
        card.toggle.focus();
      } else reloadIncidents();
    });
    const started = Date.parse(i.started_at);
    const ended = i.resolved_at ? Date.parse(i.resolved_at) : Date.now();
    card.age = i.resolved_at ? null : h('span', {}, `for ${span(ended - started)}`);
    const subject = i.bot_id ? h('a', { href: `#/bots/${i.bot_id}` }, i.subject_label) : i.subject_label;
    card.li.className = ['incident', `incident-${i.state === 'firing' ? (i.acknowledged_at ? 'acked' : 'firing') : 'resolved'}`].join(' ');
    replace(card.body,
      h('div', { class: 'incident-head' },
        stateBadge(i),
        h('h3', { class: 'incident-title' }, i.rule_name, h('span', { class: 'muted' }, ' · '), subject),
        h('div', { class: 'actions incident-actions' }, ack, card.toggle)),
      i.detail ? h('p', { class: 'incident-detail' }, i.detail) : null,
      h('p', { class: 'incident-meta muted' },
        h('span', {}, 'Started ', timeEl(i.started_at)),
        i.resolved_at
          ? h('span', {}, 'Resolved ', timeEl(i.resolved_at), ` after ${span(ended - started)}`)
          : card.age,
        i.last_sent_at ? h('span', {}, 'Last sent ', timeEl(i.last_sent_at)) : null,
        i.acknowledged_at ? h('span', { class: 'incident-ack' }, `Acknowledged by ${i.acknowledged_by ?? 'someone'} at `, timeEl(i.acknowledged_at)) : null));
    // A redraw keeps keyboard focus on the card (its button may be gone: then on its timeline toggle).
    if (focused && !card.body.contains(focused)) card.toggle.focus({ preventScroll: true });
    else if (focused) focused.focus({ preventScroll: true });
  }

  function makeCard(incident) {
    const timelineId = uid('timeline');
    const toggle = h('button', { class: 'btn btn-small btn-quiet', type: 'button', 'aria-expanded': 'false', 'aria-controls': timelineId }, 'Timeline');
    const card = {
      incident,
      li: h('li', { dataset: { incident: incident.id } }),
      body: h('div', {}),
      timeline: h('div', { class: 'timeline-box', id: timelineId, hidden: true }),
      toggle,
      open: false,
      refresh: null,
      age: null,
    };
    toggle.setAttribute('aria-label', `Timeline of ${incident.rule_name}: ${incident.subject_label}`);
    toggle.addEventListener('click', () => setOpen(card, !card.open));
    card.li.append(card.body, card.timeline);
    drawCard(card);
    return card;
  }

  function setOpen(card, open) {
    card.open = open;
    card.toggle.setAttribute('aria-expanded', String(open));
    card.toggle.textContent = open ? 'Hide timeline' : 'Timeline';
    card.timeline.hidden = !open;
    clearTimeout(card.refresh);
    if (open) {
      if (!card.timeline.childElementCount) replace(card.timeline, loading('Loading the timeline…'));
      loadTimeline(card);
    }
  }

  function delivery(d) {
    let state;
    if (d.state === 'sent') {
      state = h('span', {}, badge('ok', '✓', 'Sent'), ' ', timeEl(d.sent_at));
    } else if (d.state === 'pending') {
      state = h('span', {}, badge('warn', '…', 'Pending'),
        d.attempts ? ` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} so far; ` : ' ',
        d.next_attempt_at ? h('span', {}, 'next attempt ', timeEl(d.next_attempt_at)) : null);
    } else {
      state = h('span', {}, badge('err', '✕', 'Failed'), ` after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`);
    }
    return h('li', { class: 'delivery' },
      h('span', { class: 'delivery-channel' }, channelName(d.channel_id)), state,
      d.last_error && d.state !== 'sent' ? h('span', { class: 'delivery-error' }, d.last_error) : null);
  }

  function notification(n) {
    let sent;
    if (n.muted) sent = h('p', { class: 'muted' }, 'Not sent: a maintenance window was on (or the incident was closed quietly).');
    else if (n.deliveries.length === 0) sent = h('p', { class: 'muted' }, 'No channels: shown on the dashboard only.');
    else sent = h('ul', { class: 'deliveries', 'aria-label': 'Deliveries' }, n.deliveries.map(delivery));
    return h('li', { class: ['tl-item', `tl-${n.kind}`] },
      h('div', { class: 'tl-head' }, h('strong', {}, NOTIFICATION_WORDS[n.kind] ?? n.kind), ' ', timeEl(n.at),
        n.muted ? badge('neutral', '◌', 'Muted') : null),
      h('div', { class: 'tl-title' }, n.title),
      n.detail ? h('div', { class: 'tl-detail muted' }, n.detail) : null,
      sent);
  }

  async function loadTimeline(card) {
    try {
      const detail = await api.get(`/alerts/incidents/${card.incident.id}`);
      if (!card.open) return;
      card.incident = detail.incident;
      drawCard(card);
      const list = detail.notifications;
      replace(card.timeline, list.length
        ? h('ol', { class: 'timeline' }, list.map(notification))
        : h('p', { class: 'muted' }, 'Nothing was sent about it yet.'));
      // Deliveries still pending change without a live message: look again while it is open.
      if (list.some((n) => n.deliveries.some((d) => d.state === 'pending'))) {
        card.refresh = setTimeout(() => card.open && loadTimeline(card), 5000);
      }
    } catch (err) {
      if (card.open) replace(card.timeline, failed(err, () => loadTimeline(card)));
    }
  }

  function drawLists() {
    const firing = [...cards.values()].filter((c) => c.incident.state === 'firing').sort((a, b) => b.incident.id - a.incident.id);
    const history = [...cards.values()].filter((c) => c.incident.state !== 'firing').sort((a, b) => b.incident.id - a.incident.id);
    firingList.replaceChildren(...firing.map((c) => c.li));
    historyList.replaceChildren(...history.map((c) => c.li));
    if (firing.length) {
      if (!firingList.isConnected) replace(firingSlot, firingList);
    } else {
      replace(firingSlot, empty(`Nothing is firing.${admin ? ' Rules decide what fires: see the Rules tab.' : ''}`));
    }
    if (history.length) {
      if (!historyList.isConnected) replace(historySlot, historyList);
    } else {
      replace(historySlot, empty('No resolved incidents yet.'));
    }
    const unacked = firing.filter((c) => !c.incident.acknowledged_at).length;
    firingCount.textContent = firing.length
      ? `${firing.length} firing${unacked < firing.length ? `, ${firing.length - unacked} acknowledged` : ''}`
      : '';
  }

  function upsert(incident) {
    const card = cards.get(incident.id);
    if (card) {
      card.incident = incident;
      drawCard(card);
      if (card.open) loadTimeline(card);
    } else {
      cards.set(incident.id, makeCard(incident));
    }
    drawLists();
  }

  async function reloadIncidents() {
    try {
      const [firing, history] = await Promise.all([
        api.get('/alerts/incidents', { state: 'firing', limit: 200 }),
        api.get('/alerts/incidents', { state: 'resolved', limit: HISTORY_PAGE }),
      ]);
      const keep = new Set([...firing.items, ...history.items].map((i) => i.id));
      for (const [id, card] of cards) {
        // Older history already paged in stays; a card that vanished from "firing" is refetched below.
        if (!keep.has(id) && card.incident.state === 'firing') cards.delete(id);
      }
      for (const i of [...firing.items, ...history.items]) {
        const card = cards.get(i.id);
        if (card) {
          card.incident = i;
          drawCard(card);
          if (card.open) loadTimeline(card);
        } else cards.set(i.id, makeCard(i));
      }
      if (!pagedOlder) historyCursor = history.next_before_id ?? null;
      replace(historyFoot, historyCursor ? older : null);
      drawLists();
    } catch (err) {
      replace(firingSlot, failed(err, reloadIncidents));
      replace(historySlot);
    }
  }

  older.addEventListener('click', () => act(older, 'Loading…', async () => {
    const page = await api.get('/alerts/incidents', { state: 'resolved', limit: HISTORY_PAGE, before_id: historyCursor });
    pagedOlder = true;
    page.items.forEach((i) => { if (!cards.has(i.id)) cards.set(i.id, makeCard(i)); });
    historyCursor = page.next_before_id ?? null;
    replace(historyFoot, historyCursor ? older : null);
    drawLists();
  }));

  async function loadIncidents() {
    await references();
    await reloadIncidents();
    const wanted = Number(query.get('incident'));
    if (wanted > 0) {
      let card = cards.get(wanted);
      if (!card) {
        try {
          const detail = await api.get(`/alerts/incidents/${wanted}`);
          card = makeCard(detail.incident);
          cards.set(wanted, card);
          drawLists();
        } catch (err) {
          toast(`Incident ${wanted}: ${err.message}`, 'error');
          return;
        }
      }
      setOpen(card, true);
      card.li.scrollIntoView({ block: 'center' });
      card.toggle.focus({ preventScroll: true });
    }
  }

  // ---- rules --------------------------------------------------------------------------------

  const rulesSlot = h('div', {}, loading('Loading rules…'));
  const ruleForm = admin ? buildRuleForm() : null;
  replace(tabs.get('rules').panel,
    h('p', { class: 'muted' }, 'A rule is checked every few seconds; when its condition holds for the set number of checks in a row it fires, shows here and on every page, and is sent to its channels.'),
    rulesSlot,
    ruleForm ? h('section', { class: 'card section' }, ruleForm.form) : null);

  const ruleInput = ({ id, created_at: c, updated_at: u, ...rest }) => rest;

  function ruleRow(rule) {
    const kind = KINDS[rule.condition.kind];
    const appliesTo = !kind?.perBot ? 'this botfleet node' : rule.bot_id ? botName(rule.bot_id) : 'every bot';
    let enabled;
    if (admin) {
      const box = h('input', { type: 'checkbox', role: 'switch', checked: rule.enabled, 'aria-label': `Rule ${rule.name} enabled` });
      box.addEventListener('change', async () => {
        const saved = await act(null, null, () => api.put(`/alerts/rules/${rule.id}`, { ...ruleInput(rule), enabled: box.checked }),
          `${rule.name} ${box.checked ? 'enabled' : 'disabled'}`);
        if (saved) loadRules();
        else box.checked = !box.checked;
      });
      enabled = h('label', { class: 'switch' }, box, h('span', { class: 'switch-word' }, rule.enabled ? 'On' : 'Off'));
    } else {
      enabled = rule.enabled ? 'On' : h('span', { class: 'muted' }, 'Off');
    }
    const edit = admin ? h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Edit ${rule.name}` }, 'Edit') : null;
    edit?.addEventListener('click', () => ruleForm.edit(rule));
    const del = admin ? h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Delete ${rule.name}` }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Delete the rule "${rule.name}"?`, body: 'Its open incidents close without a notice, and its maintenance windows go too.', confirm: 'Delete rule' })) return;
      if (await act(del, 'Deleting…', () => api.del(`/alerts/rules/${rule.id}`).then(() => true), `${rule.name} deleted`)) {
        if (ruleForm?.editing() === rule.id) ruleForm.reset();
        loadRules();
        reloadIncidents();
      }
    });
    const channelCell = admin
      ? (rule.channel_ids.length ? rule.channel_ids.map(channelName).join(', ') : h('span', { class: 'muted' }, 'dashboard only'))
      : (rule.channel_ids.length ? `${rule.channel_ids.length} channel${rule.channel_ids.length === 1 ? '' : 's'}` : h('span', { class: 'muted' }, 'dashboard only'));
    return h('tr', { class: rule.enabled ? null : 'row-off', dataset: { rule: rule.id } },
      h('td', {}, h('strong', {}, rule.name)),
      h('td', {}, describeCondition(rule.condition)),
      h('td', {}, appliesTo),
      h('td', { class: 'num' }, rule.failures_in_a_row === 1 ? '1 check' : `${rule.failures_in_a_row} checks`),
      h('td', {}, rule.resend_every_seconds ? `every ${span(rule.resend_every_seconds * 1000)}` : h('span', { class: 'muted' }, 'never')),
      h('td', {}, rule.notify_recovery ? 'Yes' : h('span', { class: 'muted' }, 'No')),
      h('td', {}, channelCell),
      h('td', {}, enabled),
      admin ? h('td', {}, h('div', { class: 'actions' }, edit, del)) : null);
  }

  async function loadRules() {
    await references();
    ruleForm?.refresh();
    try {
      const list = (await api.get('/alerts/rules')).items;
      rules = list;
      if (list.length === 0) {
        replace(rulesSlot, empty(admin ? 'No rules yet — add one below, e.g. "Bot down for 60 s".' : 'No rules yet. An admin sets them up.'));
        return;
      }
      replace(rulesSlot, h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Rule', 'Condition', 'Applies to', 'Fires after', 'Sends again', 'Recovery notice', 'Channels', 'Enabled', admin ? 'Actions' : null]
          .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map(ruleRow)))));
    } catch (err) {
      replace(rulesSlot, failed(err, loadRules));
    }
  }

  function buildRuleForm() {
    const heading = h('h2', { id: uid('rule-form') }, 'Add a rule');
    const kind = field({ tag: 'select', label: 'Condition', name: 'condition.kind', options: Object.entries(KINDS).map(([k, v]) => [k, v.label]), value: 'bot_down' });
    const numberFields = Object.fromEntries(Object.entries(NUMBERS).map(([key, [label, hint, value, decimals]]) => [key,
      field({ label, name: `condition.${key}`, type: 'number', min: '0', step: decimals ? 'any' : '1', inputmode: decimals ? 'decimal' : 'numeric', value: String(value), hint })]));
    const bot = field({ tag: 'select', label: 'Bot', name: 'bot_id', options: [['', 'Every bot']], value: '', hint: 'One bot, or every bot (each judged on its own).' });
    const channelBox = h('fieldset', { dataset: { field: 'channel_ids' } }, h('legend', {}, 'Send to'));
    const cancel = h('button', { class: 'btn', type: 'button', hidden: true }, 'Cancel');
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add rule');
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'What people see, e.g. "Shop bot down".' }),
      kind,
      h('div', { class: 'row-fields' }, Object.values(numberFields)),
      bot,
      h('div', { class: 'row-fields' },
        field({ label: 'Fires after (checks in a row)', name: 'failures_in_a_row', type: 'number', min: '1', step: '1', value: '1', hint: '1 to 100 failing checks before it fires.' }),
        field({ label: 'Send again every (seconds)', name: 'resend_every_seconds', type: 'number', min: '0', step: '1', value: '0', hint: '0 = never; else 10 to 604800, until acknowledged.' })),
      h('label', { class: 'check-row', dataset: { field: 'notify_recovery' } }, h('input', { type: 'checkbox', name: 'notify_recovery', defaultChecked: true }), 'Send a notice when it recovers'),
      channelBox,
      h('label', { class: 'check-row', dataset: { field: 'enabled' } }, h('input', { type: 'checkbox', name: 'enabled', defaultChecked: true }), 'Enabled'),
      h('div', { class: 'actions' }, submit, cancel));
    const kindSelect = kind.querySelector('select');
    let editing = null;

    function showKind() {
      const k = KINDS[kindSelect.value];
      for (const [key, box] of Object.entries(numberFields)) box.hidden = !k.numbers.includes(key);
      bot.hidden = !k.perBot;
    }
    kindSelect.addEventListener('change', showKind);

    function refresh() {
      const select = bot.querySelector('select');
      const chosen = select.value;
      replace(select, h('option', { value: '' }, 'Every bot'), [...bots.values()].map((b) => h('option', { value: b.id }, b.name)));
      select.value = chosen;
      const checked = new Set([...channelBox.querySelectorAll('input:checked')].map((c) => Number(c.value)));
      replace(channelBox, h('legend', {}, 'Send to'), channels.length
        ? h('div', { class: 'checks checks-plain' }, channels.map((c) => h('label', { class: 'check-row' },
          h('input', { type: 'checkbox', name: 'channel_ids', value: c.id, checked: checked.has(c.id) }), c.name,
          h('span', { class: 'muted' }, c.kind === 'discord_webhook' ? ' (Discord)' : ' (HTTP)'))))
        : h('p', { class: 'hint' }, 'No channels yet: alerts still show on the dashboard. Add a channel in the Channels tab to be told elsewhere.'));
    }

    function reset() {
      editing = null;
      form.reset();
      heading.textContent = 'Add a rule';
      submit.textContent = 'Add rule';
      cancel.hidden = true;
      channelBox.querySelectorAll('input').forEach((c) => { c.checked = false; });
      showKind();
    }

    function edit(rule) {
      reset();
      editing = rule.id;
      heading.textContent = `Edit "${rule.name}"`;
      submit.textContent = 'Save rule';
      cancel.hidden = false;
      const el = form.elements;
      el.name.value = rule.name;
      kindSelect.value = rule.condition.kind;
      for (const key of KINDS[rule.condition.kind]?.numbers ?? []) el[`condition.${key}`].value = String(rule.condition[key]);
      el.bot_id.value = rule.bot_id ? String(rule.bot_id) : '';
      el.failures_in_a_row.value = String(rule.failures_in_a_row);
      el.resend_every_seconds.value = String(rule.resend_every_seconds);
      el.notify_recovery.checked = rule.notify_recovery;
      el.enabled.checked = rule.enabled;
      channelBox.querySelectorAll('input').forEach((c) => { c.checked = rule.channel_ids.includes(Number(c.value)); });
      showKind();
      form.scrollIntoView({ block: 'start' });
      el.name.focus({ preventScroll: true });
    }
    cancel.addEventListener('click', reset);

    onSubmit(form, 'Saving…', async (data) => {
      const k = data.get('condition.kind');
      const condition = { kind: k };
      const problems = [];
      const whole = (name, value, min) => {
        const text = String(value ?? '').trim();
        const n = Number(text);
        if (text === '' || !Number.isFinite(n)) problems.push({ field: name, message: 'enter a number' });
        else if (!Number.isInteger(n) || n < min) problems.push({ field: name, message: `must be a whole number, ${min} or more` });
        return n;
      };
      for (const key of KINDS[k].numbers) {
        const name = `condition.${key}`;
        if (NUMBERS[key][3]) {
          const text = String(data.get(name) ?? '').trim();
          const n = Number(text);
          if (text === '' || !Number.isFinite(n)) problems.push({ field: name, message: 'enter a number' });
          condition[key] = n;
        } else {
          condition[key] = whole(name, data.get(name), 0);
        }
      }
      const body = {
        name: String(data.get('name') ?? '').trim(),
        condition,
        bot_id: KINDS[k].perBot && data.get('bot_id') ? Number(data.get('bot_id')) : null,
        failures_in_a_row: whole('failures_in_a_row', data.get('failures_in_a_row'), 0),
        resend_every_seconds: whole('resend_every_seconds', data.get('resend_every_seconds'), 0),
        notify_recovery: data.get('notify_recovery') === 'on',
        channel_ids: data.getAll('channel_ids').map(Number),
        enabled: data.get('enabled') === 'on',
      };
      if (problems.length) throw invalid(problems);
      const saved = editing
        ? await api.put(`/alerts/rules/${editing}`, body)
        : await api.post('/alerts/rules', body);
      toast(editing ? `${saved.name} saved` : `${saved.name} added`);
      reset();
      loadRules();
    });
    showKind();
    return { form, refresh, reset, edit, editing: () => editing };
  }

  // ---- channels (admin) ---------------------------------------------------------------------

  const channelsSlot = h('div', {}, loading('Loading channels…'));
  const channelForm = admin ? buildChannelForm() : null;
  if (admin) {
    replace(tabs.get('channels').panel,
      h('p', { class: 'muted' }, 'Where alerts are sent besides this dashboard: a Discord channel webhook, or any HTTPS endpoint that receives signed JSON.'),
      channelsSlot,
      h('section', { class: 'card section' }, channelForm.form));
  }

  function channelRow(c) {
    const result = h('span', { class: 'test-result', role: 'status' });
    const test = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Send a test to ${c.name}` }, 'Send test');
    test.addEventListener('click', async () => {
      replace(result);
      const r = await act(test, 'Sending…', () => api.post(`/alerts/channels/${c.id}/test`));
      if (!r) return;
      replace(result, r.delivered
        ? h('span', {}, badge('ok', '✓', 'Delivered'))
        : h('span', {}, badge('err', '✕', 'Not delivered'), ' ', h('span', { class: 'delivery-error' }, r.error ?? 'no reason given')));
    });
    const edit = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Edit ${c.name}` }, 'Edit');
    edit.addEventListener('click', () => channelForm.edit(c));
    const del = h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Delete ${c.name}` }, 'Delete');
    del.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Delete the channel "${c.name}"?`, body: 'Deliveries still waiting for it are given up.', confirm: 'Delete channel' })) return;
      if (await act(del, 'Deleting…', () => api.del(`/alerts/channels/${c.id}`).then(() => true), `${c.name} deleted`)) {
        if (channelForm.editing() === c.id) channelForm.reset();
        loadChannels();
      }
    });
    return h('tr', { dataset: { channel: c.id } },
      h('td', {}, h('strong', {}, c.name)),
      h('td', {}, c.kind === 'discord_webhook' ? 'Discord webhook' : 'HTTP webhook', c.has_secret ? h('span', { class: 'muted' }, ' (signed)') : null),
      h('td', { class: 'cmd wrap' }, c.target),
      h('td', {}, h('div', { class: 'test-cell' }, test, result)),
      h('td', {}, h('div', { class: 'actions' }, edit, del)));
  }

  async function loadChannels() {
    try {
      channels = (await api.get('/alerts/channels')).items;
      ruleForm?.refresh();
      if (channels.length === 0) {
        replace(channelsSlot, empty('No channels yet — add a Discord or HTTP webhook below. Until then alerts show on the dashboard only.'));
        return;
      }
      replace(channelsSlot, h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Channel', 'Kind', 'Target', 'Test', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, channels.map(channelRow)))));
    } catch (err) {
      replace(channelsSlot, failed(err, loadChannels));
    }
  }

  function buildChannelForm() {
    const heading = h('h2', { id: uid('channel-form') }, 'Add a channel');
    const kind = field({ tag: 'select', label: 'Kind', name: 'kind', options: [['discord_webhook', 'Discord webhook'], ['http_webhook', 'HTTP webhook (signed JSON)']], value: 'discord_webhook' });
    const url = field({ label: 'URL', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', hint: 'https://discord.com/api/webhooks/…/… (Channel settings → Integrations → Webhooks). Stored encrypted; only its start is shown again.' });
    const secret = field({ label: 'Signing secret', name: 'secret', type: 'password', autocomplete: 'new-password', hint: '16 to 256 characters. Each request carries X-Botfleet-Signature: HMAC-SHA256 of "timestamp.body" with it.' });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add channel');
    const cancel = h('button', { class: 'btn', type: 'button', hidden: true }, 'Cancel');
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'e.g. "#ops on Discord" or "PagerDuty".' }),
      kind, url, secret,
      h('div', { class: 'actions' }, submit, cancel));
    const kindSelect = kind.querySelector('select');
    let editing = null;

    function showKind() {
      const http = kindSelect.value === 'http_webhook';
      secret.hidden = !http;
      url.querySelector('.hint').textContent = editing
        ? 'Leave empty to keep the current URL.'
        : http
          ? 'An http:// or https:// endpoint that accepts a POST of JSON.'
          : 'https://discord.com/api/webhooks/…/… (Channel settings → Integrations → Webhooks). Stored encrypted; only its start is shown again.';
      secret.querySelector('.hint').textContent = editing
        ? 'Leave empty to keep the current secret; else 16 to 256 characters.'
        : '16 to 256 characters. Each request carries X-Botfleet-Signature: HMAC-SHA256 of "timestamp.body" with it.';
    }
    kindSelect.addEventListener('change', showKind);

    function reset() {
      editing = null;
      form.reset();
      kindSelect.disabled = false;
      heading.textContent = 'Add a channel';
      submit.textContent = 'Add channel';
      cancel.hidden = true;
      showKind();
    }

    function edit(c) {
      reset();
      editing = c.id;
      heading.textContent = `Edit "${c.name}"`;
      submit.textContent = 'Save channel';
      cancel.hidden = false;
      form.elements.name.value = c.name;
      kindSelect.value = c.kind;
      kindSelect.disabled = true; // a channel keeps its kind: make a new one instead
      form.elements.url.placeholder = c.target;
      showKind();
      form.scrollIntoView({ block: 'start' });
      form.elements.name.focus({ preventScroll: true });
    }
    cancel.addEventListener('click', reset);

    onSubmit(form, 'Saving…', async (data) => {
      const name = String(data.get('name') ?? '').trim();
      const urlText = String(data.get('url') ?? '').trim();
      const secretText = String(data.get('secret') ?? '');
      let saved;
      if (editing) {
        const body = { name };
        if (urlText) body.url = urlText;
        if (secretText) body.secret = secretText;
        saved = await api.patch(`/alerts/channels/${editing}`, body);
      } else {
        const body = { name, kind: kindSelect.value, url: urlText };
        if (kindSelect.value === 'http_webhook') body.secret = secretText;
        saved = await api.post('/alerts/channels', body);
      }
      toast(editing ? `${saved.name} saved` : `${saved.name} added: press "Send test" to try it`);
      reset();
      form.elements.url.placeholder = '';
      loadChannels();
    });
    showKind();
    return { form, reset, edit, editing: () => editing };
  }

  // ---- maintenance --------------------------------------------------------------------------

  const windowsSlot = h('div', {}, loading('Loading maintenance windows…'));
  const windowForm = admin ? buildWindowForm() : null;
  replace(tabs.get('maintenance').panel,
    h('p', { class: 'muted' }, 'Inside a maintenance window incidents are still recorded and shown here, but nothing is sent for the rules and bots it covers.'),
    windowsSlot,
    windowForm ? h('section', { class: 'card section' }, windowForm.form) : null);

  function schedule(w) {
    if (w.once) return h('span', {}, 'Once: ', timeEl(w.once.starts_at), ' → ', timeEl(w.once.ends_at));
    const days = w.weekly.days.length === 7 ? 'Every day' : `Every ${w.weekly.days.map((d) => DAYS.find(([k]) => k === d)?.[1] ?? d).join(', ')}`;
    return `${days} at ${w.weekly.start} UTC for ${span(w.weekly.duration_minutes * 60_000)}`;
  }

  function windowRow(w) {
    const over = w.once && Date.parse(w.once.ends_at) < Date.now();
    const del = admin ? h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Delete ${w.name}` }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Delete the window "${w.name}"?`, body: w.active_now ? 'It is on now: alerts it mutes are sent again from the next check.' : null, confirm: 'Delete window' })) return;
      if (await act(del, 'Deleting…', () => api.del(`/alerts/maintenance/${w.id}`).then(() => true), `${w.name} deleted`)) loadWindows();
    });
    return h('tr', { dataset: { window: w.id } },
      h('td', {}, h('strong', {}, w.name)),
      h('td', {}, w.rule_id ? `Rule ${ruleName(w.rule_id)}` : 'Every rule', ', ', w.bot_id ? botName(w.bot_id) : 'every bot and the node'),
      h('td', {}, schedule(w)),
      h('td', {}, w.active_now ? badge('warn', '◐', 'Active now') : over ? h('span', { class: 'muted' }, 'Over') : h('span', { class: 'muted' }, 'Not now')),
      admin ? h('td', {}, del) : null);
  }

  async function loadWindows() {
    await references({ withRules: true });
    windowForm?.refresh();
    try {
      const list = (await api.get('/alerts/maintenance')).items;
      if (list.length === 0) {
        replace(windowsSlot, empty(admin ? 'No maintenance windows — add one below before planned work.' : 'No maintenance windows.'));
        return;
      }
      replace(windowsSlot, h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Window', 'Covers', 'When', 'Now', admin ? 'Actions' : null].filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map(windowRow)))));
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
      const fill = (select, first, items) => {
        const chosen = select.value;
        replace(select, h('option', { value: '' }, first), items.map(([v, t]) => h('option', { value: v }, t)));
        select.value = chosen;
      };
      fill(form.elements.rule_id, 'Every rule', rules.map((r) => [r.id, r.name]));
      fill(form.elements.bot_id, 'Every bot and the node', [...bots.values()].map((b) => [b.id, b.name]));
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

  // ---- live ---------------------------------------------------------------------------------

  const LOADERS = {
    incidents: loadIncidents,
    rules: loadRules,
    channels: loadChannels,
    maintenance: loadWindows,
  };

  const off = live.onMessage((m) => {
    if (m.type === 'alert' && m.incident) {
      if (tabs.get('incidents').loaded) upsert(m.incident);
    } else if (m.type === 'resync') {
      if (tabs.get('incidents').loaded) reloadIncidents();
    }
  });
  // "for 5 min" and "Active now" age: redraw them now and then (no layout jump: same rows).
  timers.push(setInterval(() => {
    for (const card of cards.values()) {
      if (card.age) card.age.textContent = `for ${span(Date.now() - Date.parse(card.incident.started_at))}`;
    }
  }, 30_000));
  timers.push(setInterval(() => { if (current === 'maintenance') loadWindows(); }, 60_000));

  live.subscribe(['alerts']);
  select(query.get('tab') ?? 'incidents', false);
  if (query.get('incident')) select('incidents', false);

  return () => {
    off();
    timers.forEach(clearInterval);
    for (const card of cards.values()) clearTimeout(card.refresh);
  };
}
