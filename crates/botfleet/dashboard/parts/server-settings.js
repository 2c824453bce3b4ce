// A bot's settings per Discord server (its page's "Per-server settings" card): each server with
// settings of its own — prefix, channels, anti-spam, stock channels — overriding the bot's there,
// editable and removable; "Add" for a server that has none. A running bot applies a change at once.

import { api } from '../api.js';
import { h, replace, act, toast, onSubmit, field, loading, failed, confirmAction } from '../ui.js';
import { channelChecklist, channelLabel, channelSelect, chosenChannels } from './channels.js';

/** The server's own stock channels: [field, label, what it does]. */
const STOCK = [
  ['stock_channel_id', 'Stock channel', 'The live catalogue is kept there too.'],
  ['back_in_stock_channel_id', 'Back-in-stock channel', '"Back in stock: …" is announced there too.'],
  ['low_stock_channel_id', 'Low-stock channel', '"Low stock: …" notices go there too.'],
];

const LIMITS = [
  ['max_commands', 'Commands allowed', '1 to 100 per user'],
  ['per_seconds', 'Per seconds', '1 to 3600'],
  ['cooldown_seconds', 'First cooldown (s)', 'doubles each time'],
  ['max_cooldown_seconds', 'Longest cooldown (s)', 'at least the first'],
];

/** The card for `bot`, with its `directory` (null: server ids only). */
export function serverSettingsCard(bot, { directory, editable }) {
  const slot = h('div', {}, loading('Loading per-server settings…'));
  const card = h('section', { class: 'card', 'aria-labelledby': 'servers-h' },
    h('h2', { id: 'servers-h' }, 'Per-server settings'),
    h('p', { class: 'muted' }, `In a server listed here, its own prefix, channels or anti-spam limits replace the bot's (${bot.prefix}); its own stock channels are used there, in place of the bot's when those are in that server. A running bot applies a change at once.`),
    slot);
  const serverName = (id) => directory?.servers.find((s) => s.id === id)?.name ?? `Server ${id}`;

  async function fill() {
    try {
      const page = await api.get(`/bots/${bot.id}/server-settings`, { limit: 200 });
      draw(page.items);
    } catch (err) {
      replace(slot, failed(err, fill));
    }
  }

  function draw(items) {
    const rows = items.map((s) => {
      const edit = editable ? h('button', { class: 'btn btn-small', type: 'button' }, 'Edit') : null;
      const remove = editable ? h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Remove the settings of ${serverName(s.guild_id)}` }, 'Remove') : null;
      edit?.addEventListener('click', () => open(s.guild_id, s));
      remove?.addEventListener('click', async () => {
        const sure = await confirmAction({ title: `Remove the settings of ${serverName(s.guild_id)}?`, body: "The bot's own settings apply there again, at once.", confirm: 'Remove' });
        if (!sure) return;
        const done = await act(remove, 'Removing…', () => api.del(`/bots/${bot.id}/server-settings/${s.guild_id}`).then(() => true), 'Server settings removed');
        if (done) fill();
      });
      const limits = s.anti_spam ? (s.anti_spam.enabled ? `${s.anti_spam.max_commands} per ${s.anti_spam.per_seconds} s` : 'off') : "the bot's";
      const stock = STOCK.filter(([key]) => s[key]).map(([key, label]) => `${label.replace(' channel', '')}: ${channelLabel(directory, s[key])}`);
      return h('tr', { dataset: { guildId: s.guild_id } },
        h('td', {}, serverName(s.guild_id)),
        h('td', { class: 'cmd' }, s.prefix ?? h('span', { class: 'muted' }, "the bot's")),
        h('td', { class: 'wrap' }, s.channel_ids ? (s.channel_ids.length ? s.channel_ids.map((c) => channelLabel(directory, c)).join(', ') : 'every channel') : h('span', { class: 'muted' }, "the bot's")),
        h('td', {}, limits),
        h('td', { class: 'wrap' }, stock.length ? stock.join('; ') : h('span', { class: 'muted' }, 'none of its own')),
        editable ? h('td', {}, h('div', { class: 'actions' }, edit, remove)) : null);
    });
    const taken = new Set(items.map((s) => s.guild_id));
    const free = (directory?.servers ?? []).filter((s) => !taken.has(s.id));
    const add = editable && free.length ? h('form', { class: 'form inline-form', novalidate: true },
      field({ tag: 'select', label: 'Server', name: 'guild_id', options: free.map((s) => [s.id, s.name]) }),
      h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'submit' }, 'Add settings for this server'))) : null;
    add?.addEventListener('submit', (e) => { e.preventDefault(); open(add.elements.guild_id.value, null); });
    replace(slot,
      rows.length ? h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Server', 'Prefix', 'Channels', 'Anti-spam', 'Stock channels', editable ? '' : null].filter((x) => x !== null).map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))) : h('p', { class: 'muted' }, "No server has settings of its own: the bot's apply everywhere."),
      add);
  }

  /** The editor for one server's settings (`current` null: none yet). */
  function open(guildId, current) {
    const ownChannels = current?.channel_ids != null;
    const ownLimits = current?.anti_spam != null;
    const limits = current?.anti_spam ?? bot.anti_spam;
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': `Settings for ${serverName(guildId)}` },
      h('h3', {}, `Settings for ${serverName(guildId)}`),
      field({ label: 'Prefix', name: 'prefix', value: current?.prefix ?? '', maxlength: '5', hint: `Empty: the bot's (${bot.prefix}).` }),
      h('label', { class: 'check-label' }, h('input', { type: 'checkbox', name: 'own_channels', checked: ownChannels }), 'Answer prefix commands only in the channels ticked below'),
      directory
        ? channelChecklist({ label: 'Channels', name: 'channel_ids', value: current?.channel_ids ?? [], directory, serverId: guildId, hint: 'Ticked: the channels of this server prefix commands are answered in (none: every channel).' })
        : field({ tag: 'textarea', label: 'Channels', name: 'channel_ids', rows: 2, value: (current?.channel_ids ?? []).join('\n'), hint: 'Discord channel ids of this server.' }),
      h('fieldset', { dataset: { field: 'anti_spam' } },
        h('legend', {}, 'Anti-spam (per user)'),
        h('label', { class: 'check-label' }, h('input', { type: 'checkbox', name: 'own_limits', checked: ownLimits }), "This server's own limits"),
        h('label', { class: 'check-label', dataset: { field: 'anti_spam.enabled' } },
          h('input', { type: 'checkbox', name: 'anti_spam.enabled', checked: limits.enabled }), 'Limit how fast one user may run commands'),
        h('div', { class: 'row-fields' }, LIMITS.map(([key, label, hint]) =>
          field({ label, name: `anti_spam.${key}`, type: 'number', min: '1', value: limits[key], hint })))),
      h('fieldset', {},
        h('legend', {}, 'Stock channels of this server'),
        STOCK.map(([key, label, hint]) => directory
          ? channelSelect({ label, name: key, value: current?.[key], directory, serverId: guildId, offText: 'None of its own', hint })
          : field({ label, name: key, value: current?.[key] ?? '', hint: `${hint} A Discord channel id of this server; empty: none of its own.` }))),
      h('div', { class: 'actions' },
        h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save server settings'),
        h('button', { class: 'btn', type: 'button', onclick: () => fill() }, 'Cancel')));
    onSubmit(form, 'Saving…', async (data) => {
      const body = { version: current?.version ?? 0 };
      const prefix = String(data.get('prefix') ?? '').trim();
      if (prefix) body.prefix = prefix;
      if (data.get('own_channels') === 'on') body.channel_ids = chosenChannels(form, 'channel_ids');
      for (const [key] of STOCK) {
        const channel = String(data.get(key) ?? '').trim();
        if (channel) body[key] = channel;
      }
      if (data.get('own_limits') === 'on') {
        body.anti_spam = { enabled: data.get('anti_spam.enabled') === 'on' };
        for (const [key] of LIMITS) {
          const raw = data.get(`anti_spam.${key}`);
          if (raw !== '' && raw !== null) body.anti_spam[key] = Number(raw);
        }
      }
      try {
        await api.put(`/bots/${bot.id}/server-settings/${guildId}`, body);
      } catch (err) {
        if (err.code === 'conflict') err.message += ' Reload the page to see the current settings.';
        throw err;
      }
      toast(`Settings for ${serverName(guildId)} saved`);
      fill();
    });
    replace(slot, form);
    form.elements.prefix.focus();
  }

  fill();
  return card;
}
