// The Alerts page's "Rules" tab: every rule in words (its condition, what it applies to, when it
// fires and sends again, where it is sent), and for admins an on/off switch, "Edit", "Delete" and
// the form to add or edit one, whose condition kind decides which numbers it asks for. Also the
// conditions themselves: their kinds, their numbers and how they read.

import { api } from '../../api.js';
import { h, replace, act, field, onSubmit, toast, loading, failed, empty, uid, num } from '../../ui.js';
import { duration } from '../../parts/alert-words.js';
import { table, editButton, deleteButton } from '../../parts/admin-table.js';
import { pager } from '../../parts/pager.js';
import { fillSelect, invalid } from '../../parts/form-extras.js';

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
  requests: ['Invalid requests, more than', '0 to 10000 answers 401, 403 or 429 from Discord in 10 minutes, fleet-wide (Discord bans the IP at 10000).', 5000],
  below: ['Session starts left, fewer than', "1 or more of the bot's daily session starts (spending them all resets its token).", 100],
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
  invalid_requests: { label: 'Invalid requests to Discord (10 min)', numbers: ['requests'], perBot: false },
  session_starts_low: { label: 'Few session starts left', numbers: ['below'], perBot: true },
  webhook_paused: { label: 'Webhook paused after failures', numbers: [], perBot: false },
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
    case 'invalid_requests': return `More than ${num(c.requests)} invalid requests to Discord in 10 minutes`;
    case 'session_starts_low': return `Fewer than ${num(c.below)} session starts left today`;
    case 'webhook_paused': return 'A webhook was paused after failing 10 times in a row';
    default: return c.kind;
  }
}

/** A rule as the API takes it back (PUT): without its id and timestamps. */
const ruleInput = ({ id, created_at: c, updated_at: u, ...rest }) => rest;

/**
 * Fills `panel`. `refs` names the bots and channels and keeps the rules for the other tabs;
 * `reloadIncidents` runs after a delete (its open incidents close). Returns {load, refreshForm}:
 * the load, and the form's bot and channel choices drawn again (after the channels changed).
 */
export function rulesTab(panel, { admin, refs, reloadIncidents }) {
  const rulesSlot = h('div', {}, loading('Loading rules…'));
  const ruleForm = admin ? buildRuleForm() : null;
  const rows = h('tbody');
  const pages = pager({
    path: '/alerts/rules',
    onPage(items, { first }) {
      if (first) {
        rows.replaceChildren();
        if (items.length === 0) {
          replace(rulesSlot, empty(admin ? 'No rules yet — add one below, e.g. "Bot down for 60 s".' : 'No rules yet. An admin sets them up.'));
          return;
        }
        const t = table(['Rule', 'Condition', 'Applies to', 'Fires after', 'Sends again', 'Recovery notice', 'Channels', 'Enabled', admin ? 'Actions' : null], []);
        t.querySelector('tbody').replaceWith(rows);
        replace(rulesSlot, t);
      }
      rows.append(...items.map(ruleRow));
    },
  });
  replace(panel,
    h('p', { class: 'muted' }, 'A rule is checked every few seconds; when its condition holds for the set number of checks in a row it fires, shows here and on every page, and is sent to its channels.'),
    rulesSlot,
    pages.foot,
    ruleForm ? h('section', { class: 'card section' }, ruleForm.form) : null);

  function ruleRow(rule) {
    const kind = KINDS[rule.condition.kind];
    const appliesTo = !kind?.perBot ? 'this botfleet node' : rule.bot_id ? refs.botName(rule.bot_id) : 'every bot';
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
    const edit = admin ? editButton(rule.name, () => ruleForm.edit(rule)) : null;
    const del = admin
      ? deleteButton(rule.name, { what: 'rule', path: `/alerts/rules/${rule.id}`, body: 'Its open incidents close without a notice, and its maintenance windows go too.' }, () => {
        if (ruleForm?.editing() === rule.id) ruleForm.reset();
        loadRules();
        reloadIncidents();
      })
      : null;
    const channelCell = admin
      ? (rule.channel_ids.length ? rule.channel_ids.map(refs.channelName).join(', ') : h('span', { class: 'muted' }, 'dashboard only'))
      : (rule.channel_ids.length ? `${rule.channel_ids.length} channel${rule.channel_ids.length === 1 ? '' : 's'}` : h('span', { class: 'muted' }, 'dashboard only'));
    return h('tr', { class: rule.enabled ? null : 'row-off', dataset: { rule: rule.id } },
      h('td', {}, h('strong', {}, rule.name)),
      h('td', {}, describeCondition(rule.condition)),
      h('td', {}, appliesTo),
      h('td', { class: 'num' }, rule.failures_in_a_row === 1 ? '1 check' : `${rule.failures_in_a_row} checks`),
      h('td', {}, rule.resend_every_seconds ? `every ${duration(rule.resend_every_seconds * 1000)}` : h('span', { class: 'muted' }, 'never')),
      h('td', {}, rule.notify_recovery ? 'Yes' : h('span', { class: 'muted' }, 'No')),
      h('td', {}, channelCell),
      h('td', {}, enabled),
      admin ? h('td', {}, h('div', { class: 'actions' }, edit, del)) : null);
  }

  async function loadRules() {
    await refs.load();
    ruleForm?.refresh();
    try {
      const [all] = await Promise.all([api.all('/alerts/rules'), pages.first()]);
      refs.rules = all;
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
      fillSelect(bot.querySelector('select'), 'Every bot', [...refs.bots.values()].map((b) => [b.id, b.name]));
      const checked = new Set([...channelBox.querySelectorAll('input:checked')].map((c) => Number(c.value)));
      replace(channelBox, h('legend', {}, 'Send to'), refs.channels.length
        ? h('div', { class: 'checks checks-plain' }, refs.channels.map((c) => h('label', { class: 'check-row' },
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

  return { load: loadRules, refreshForm: () => ruleForm?.refresh() };
}
