// Channel pickers: a bot's channels shown as "#name (server)", read from GET /bots/{id}/guilds
// (the servers it is in, each with the channels it sees and whether it may post there). What is
// saved and sent stays the channel's id; a saved id the bot can no longer see is shown as such,
// never dropped. Without the list (a new bot, Discord unreachable) the fields stay plain ids.

import { api } from '../api.js';
import { h } from '../ui.js';

let seq = 0;
const uid = (name) => `${name.replace(/\W/g, '-')}-pick-${++seq}`;

/** Every server of a bot with its channels: {servers, channels: Map(id → channel with `server`)}. */
export async function loadDirectory(botId) {
  const servers = [];
  let cursor;
  do {
    const page = await api.get(`/bots/${botId}/guilds`, { limit: 100, cursor });
    servers.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && servers.length < 1000);
  return directoryOf(servers);
}

/** A directory made of listed servers: {servers, channels: Map(id → channel with `server`)}. */
export function directoryOf(servers) {
  const channels = new Map();
  for (const s of servers) for (const c of s.channels) channels.set(c.id, { ...c, server: s.name, serverId: s.id });
  return { servers, channels };
}

/** How a channel id reads: "#name (server)", or that the bot cannot see it. */
export function channelLabel(directory, id) {
  const c = directory?.channels.get(String(id));
  return c ? `#${c.name} (${c.server})` : `Unknown channel ${id} — the bot cannot see it`;
}

/** The channels a message can be posted in, grouped by server (only `serverId`'s when given). */
function postable(directory, serverId) {
  return directory.servers
    .filter((s) => !serverId || s.id === serverId)
    .map((s) => [s, s.channels.filter((c) => c.type === 'text' || c.type === 'announcement')])
    .filter(([, channels]) => channels.length > 0);
}

/**
 * A <select> of one channel, grouped by server: each "#name (server)", those the bot may not post
 * in marked; `offText` (value '') first. A saved `value` the bot cannot see stays, shown as such.
 */
export function channelSelect({ label, name, value, hint, directory, offText = 'Off', disabled = false, serverId }) {
  const id = uid(name);
  const saved = value ? String(value) : '';
  const select = h('select', { id, name, disabled, 'aria-describedby': hint ? `${id}-hint` : null });
  if (offText !== null) select.append(h('option', { value: '' }, offText));
  if (saved && !directory.channels.has(saved)) {
    select.append(h('option', { value: saved, class: 'vanished' }, channelLabel(directory, saved)));
  }
  for (const [server, channels] of postable(directory, serverId)) {
    select.append(h('optgroup', { label: server.name }, channels.map((c) =>
      h('option', { value: c.id }, `#${c.name} (${server.name})${c.can_post ? '' : ' — may not post'}`))));
  }
  select.value = saved;
  const gone = saved && !directory.channels.has(saved);
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label), select,
    gone ? h('p', { class: 'field-warning' }, `The saved channel ${saved} is not one the bot can see any more (deleted, or hidden from it).`) : null,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

/**
 * Checkboxes of channels, grouped by server (only `serverId`'s when given), named `name`; the
 * checked ones are `value`. Saved ids the bot cannot see are listed, checked, as such.
 */
export function channelChecklist({ label, name, value, hint, directory, disabled = false, serverId }) {
  const chosen = new Set((value ?? []).map(String));
  const box = (id, text, extra = {}) => h('label', { class: 'check-label' },
    h('input', { type: 'checkbox', name, value: id, checked: chosen.has(id), ...extra }), text);
  const vanished = [...chosen].filter((c) => !directory.channels.has(c));
  const groups = postable(directory, serverId).map(([server, channels]) =>
    h('div', { class: 'check-group' }, serverId ? null : h('p', { class: 'muted' }, server.name),
      h('div', { class: 'checks' }, channels.map((c) => box(c.id, `#${c.name} (${server.name})`)))));
  return h('fieldset', { dataset: { field: name, picker: name }, disabled },
    h('legend', {}, label),
    hint ? h('p', { class: 'hint' }, hint) : null,
    groups.length ? groups : h('p', { class: 'muted' }, 'The bot sees no channel it could answer in.'),
    vanished.length ? h('div', { class: 'check-group vanished' },
      vanished.map((c) => box(c, channelLabel(directory, c), { class: 'vanished' }))) : null);
}

/** The ids a checklist or an id textarea named `name` holds. */
export function chosenChannels(form, name) {
  const data = new FormData(form);
  if (form.querySelector(`[data-picker="${CSS.escape(name)}"]`)) return data.getAll(name).map(String);
  return String(data.get(name) ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Beside a form's bot <select>: when a bot is chosen, its channels by name, drawn by
 * `draw(directory)` into `slot` (a note instead when Discord could not be asked).
 */
export function followBot(botSelect, slot, draw) {
  let asked = 0;
  const show = async () => {
    const botId = Number(botSelect.value);
    const mine = ++asked;
    slot.replaceChildren();
    if (!botId) return;
    try {
      const directory = await loadDirectory(botId);
      if (mine === asked) slot.replaceChildren(draw(directory));
    } catch {
      if (mine === asked) slot.replaceChildren(h('p', { class: 'muted' }, "The bot's channels could not be read from Discord: type channel ids."));
    }
  };
  botSelect.addEventListener('change', show);
  show();
}
