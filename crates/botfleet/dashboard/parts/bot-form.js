// A bot's configuration form, for "Add bot" and for a bot's page: name, token (new bots only),
// prefix, intents, channels, anti-spam limits and the stock channels, with each field named as the API names it so
// the server's field errors land next to the right input. Also "Test config" and its verdicts.

import { h, field, statusBadge, replace } from '../ui.js';
import { channelSelect, channelChecklist, chosenChannels } from './channels.js';

/** Discord's gateway intents by name; privileged ones are marked. */
export const INTENTS = [
  'GUILDS', 'GUILD_MEMBERS', 'GUILD_MODERATION', 'GUILD_EXPRESSIONS', 'GUILD_INTEGRATIONS', 'GUILD_WEBHOOKS',
  'GUILD_INVITES', 'GUILD_VOICE_STATES', 'GUILD_PRESENCES', 'GUILD_MESSAGES', 'GUILD_MESSAGE_REACTIONS',
  'GUILD_MESSAGE_TYPING', 'DIRECT_MESSAGES', 'DIRECT_MESSAGE_REACTIONS', 'DIRECT_MESSAGE_TYPING', 'MESSAGE_CONTENT',
  'GUILD_SCHEDULED_EVENTS', 'AUTO_MODERATION_CONFIGURATION', 'AUTO_MODERATION_EXECUTION', 'GUILD_MESSAGE_POLLS',
  'DIRECT_MESSAGE_POLLS',
];
const PRIVILEGED = new Set(['GUILD_MEMBERS', 'GUILD_PRESENCES', 'MESSAGE_CONTENT']);
const DEFAULT_INTENTS = ['GUILDS', 'GUILD_MESSAGES', 'DIRECT_MESSAGES', 'MESSAGE_CONTENT'];
/** The channels a bot posts stock to: [API field, label, hint]. Empty: none / off. */
const STOCK_CHANNELS = [
  ['stock_channel_id', 'Stock message channel', 'The live catalogue message is kept current here.'],
  ['back_in_stock_channel_id', 'Back-in-stock channel', '"Back in stock: …" when a visible product goes from 0 to more.'],
  ['low_stock_channel_id', 'Low-stock channel', '"Low stock: …" once each time a product falls to its low-stock threshold (hidden products too: a staff channel).'],
];
const ANTI_SPAM = [
  ['max_commands', 'Commands allowed', '1 to 100 per user'],
  ['per_seconds', 'Per seconds', '1 to 3600'],
  ['cooldown_seconds', 'First cooldown (s)', 'doubles each time, 1 to 86400'],
  ['max_cooldown_seconds', 'Longest cooldown (s)', 'at least the first'],
];

/**
 * The form's fields for `bot` (null for a new one). `editable` false draws them read-only (a
 * viewer's view). With the bot's `directory` (parts/channels.js) the channel fields are pickers
 * showing "#name (server)"; without, Discord ids. Returns the <form>; `values(form)` reads it back
 * as an API body.
 */
export function botForm(bot, { editable = true, withToken = false, directory = null } = {}) {
  const intents = new Set(bot?.intents ?? DEFAULT_INTENTS);
  const anti = bot?.anti_spam ?? { enabled: true, max_commands: 5, per_seconds: 10, cooldown_seconds: 30, max_cooldown_seconds: 600 };
  const ro = !editable;
  return h('form', { class: 'form form-wide', novalidate: true },
    h('div', { class: 'row-fields' },
      field({ label: 'Name', name: 'name', value: bot?.name ?? '', required: true, maxlength: '64', readOnly: ro, hint: 'Unique, 1 to 64 characters.' }),
      field({ label: 'Command prefix', name: 'prefix', value: bot?.prefix ?? '!', maxlength: '5', readOnly: ro, hint: 'For text commands such as !ping; 1 to 5 characters, no spaces.' })),
    withToken ? field({ label: 'Bot token', name: 'token', type: 'password', autocomplete: 'off', required: true, hint: 'From the Discord developer portal. Stored encrypted and never shown again.' }) : null,
    channelsField(bot?.channel_ids, directory, ro),
    h('fieldset', { dataset: { field: 'intents' }, disabled: ro },
      h('legend', {}, 'Gateway intents'),
      h('div', { class: 'checks' }, INTENTS.map((name) => h('label', { class: 'check-label' },
        h('input', { type: 'checkbox', name: 'intents', value: name, checked: intents.has(name) }),
        name, PRIVILEGED.has(name) ? h('span', { class: 'muted', title: 'Privileged: must be enabled for the application in the developer portal' }, '(privileged)') : null)))),
    h('fieldset', { dataset: { field: 'anti_spam' }, disabled: ro },
      h('legend', {}, 'Anti-spam (per user)'),
      h('label', { class: 'check-label', dataset: { field: 'anti_spam.enabled' } },
        h('input', { type: 'checkbox', name: 'anti_spam.enabled', checked: anti.enabled }), 'Limit how fast one user may run commands'),
      h('div', { class: 'row-fields' }, ANTI_SPAM.map(([key, label, hint]) =>
        field({ label, name: `anti_spam.${key}`, type: 'number', min: '1', value: anti[key], hint })))),
    h('fieldset', { dataset: { field: 'stock_channels' }, disabled: ro },
      h('legend', {}, 'Stock on Discord'),
      h('div', { class: 'row-fields' }, STOCK_CHANNELS.map(([name, label, hint]) => stockField(name, label, hint, bot?.[name], directory, ro)))));
}

/** The channels a bot answers prefix commands in: a checklist by name, or ids without a directory. */
function channelsField(value, directory, ro) {
  return directory
    ? channelChecklist({ label: 'Channels', name: 'channel_ids', value, directory, disabled: ro,
      hint: 'The channels prefix commands are answered in. None ticked: every channel the bot can see.' })
    : field({ tag: 'textarea', label: 'Channels', name: 'channel_ids', rows: 2, value: (value ?? []).join('\n'), readOnly: ro, spellcheck: 'false',
      hint: 'Discord channel ids, one per line (or separated by commas). Empty: every channel the bot can see.' });
}

/** One of the stock channels: a picker by name, or an id without a directory. */
function stockField(name, label, hint, value, directory, ro) {
  return directory
    ? channelSelect({ label, name, value, directory, hint, disabled: ro })
    : field({ label, name, inputmode: 'numeric', spellcheck: 'false', value: value ?? '', readOnly: ro, hint: `${hint} A Discord channel id; empty: off.` });
}

/** Turns a form's channel fields into pickers for `directory`, keeping what they hold. */
export function usePickers(form, directory) {
  const now = values(form);
  form.querySelector('[data-field="channel_ids"]').replaceWith(channelsField(now.channel_ids, directory, false));
  for (const [name, label, hint] of STOCK_CHANNELS) {
    form.querySelector(`[data-field="${name}"]`).replaceWith(stockField(name, label, hint, now[name], directory, false));
  }
}

/** The API body the form describes (all settings; `token` only when the form has it). */
export function values(form) {
  const data = new FormData(form);
  const body = {
    name: data.get('name').trim(),
    prefix: data.get('prefix').trim(),
    intents: data.getAll('intents'),
    channel_ids: chosenChannels(form, 'channel_ids'),
    anti_spam: { enabled: data.get('anti_spam.enabled') === 'on' },
  };
  for (const [key] of ANTI_SPAM) {
    const raw = data.get(`anti_spam.${key}`);
    body.anti_spam[key] = raw === '' || raw === null ? undefined : Number(raw);
  }
  for (const [name] of STOCK_CHANNELS) body[name] = String(data.get(name) ?? '').trim() || null;
  if (data.has('token')) body.token = data.get('token').trim();
  return body;
}

/** A "Test config" result: the overall verdict and one line per check. */
export function verdicts(report) {
  return h('div', { class: ['banner', report.ok ? 'banner-ok' : 'banner-error'], role: 'status' },
    h('strong', {}, report.ok ? 'Every check passed.' : 'Some checks failed.'),
    h('ul', { class: 'verdicts' }, report.checks.map((c) => h('li', {},
      statusBadge(c.ok ? 'pass' : 'fail'), h('span', { class: 'cmd' }, c.check), h('span', { class: 'detail' }, c.detail)))));
}

/** Puts a test's verdicts in `slot`. */
export const showVerdicts = (slot, report) => replace(slot, verdicts(report));
