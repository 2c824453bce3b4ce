// Table rows shared by the overview feed, a bot's page and the two log pages: a command row, a
// bot-log row and a console line, each drawn the same everywhere. Also the bot-name lookup the
// tables use (one cached GET /bots).

import { api } from '../api.js';
import { h, statusBadge, timeEl, ms } from '../ui.js';

let names = null;
let namesAt = 0;

/** Bot id -> bot, refreshed at most every 30 s. */
export async function bots() {
  if (!names || Date.now() - namesAt > 30_000) {
    const page = await api.get('/bots', { limit: 200 });
    names = new Map(page.items.map((b) => [b.id, b]));
    namesAt = Date.now();
  }
  return names;
}

/** Forgets the cached bots (after a create, rename or delete). */
export function forgetBots() {
  names = null;
}

const botLink = (id, map) => h('a', { href: `#/bots/${id}` }, map?.get(id)?.name ?? `Bot ${id}`);

export const COMMAND_COLUMNS = ['Time', 'Bot', 'User', 'Command', 'Outcome', 'Latency', 'Reply'];

/** One command row (REST rows and live messages have the same fields; live ones have no id). */
export function commandRow(row, map, { fresh = false, showBot = true } = {}) {
  const args = row.arguments ? ` ${row.arguments}` : '';
  const reply = row.error || row.response || '';
  return h('tr', { class: fresh ? 'row-new' : null, dataset: { id: row.id ?? '' } },
    h('td', { class: 'nowrap' }, timeEl(row.received_at)),
    showBot ? h('td', { class: 'nowrap' }, botLink(row.bot_id, map)) : null,
    h('td', { class: 'nowrap', title: `user id ${row.user_id}` }, row.user_name || row.user_id),
    h('td', { class: 'cmd' }, `${row.kind === 'slash' ? '/' : map?.get(row.bot_id)?.prefix ?? ''}${row.command}${args}`),
    h('td', {}, statusBadge(row.outcome)),
    h('td', { class: 'num nowrap' }, ms(row.latency_ms)),
    h('td', { class: 'wrap' }, h('div', { class: 'clip', title: reply }, reply)));
}

/** A table of command rows with its head; returns {table, body}. */
export function commandTable(showBot = true) {
  const cols = showBot ? COMMAND_COLUMNS : COMMAND_COLUMNS.filter((c) => c !== 'Bot');
  const body = h('tbody');
  const table = h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c === 'Latency' ? 'num' : null }, c)))),
    body));
  return { table, body };
}

/** One bot-log row. */
export function botLogRow(row, map, { fresh = false } = {}) {
  return h('tr', { class: fresh ? 'row-new' : null, dataset: { id: row.id ?? '' } },
    h('td', { class: 'nowrap' }, timeEl(row.at)),
    h('td', { class: 'nowrap' }, botLink(row.bot_id, map)),
    h('td', {}, statusBadge(row.level)),
    h('td', { class: 'cmd' }, row.event),
    h('td', { class: 'wrap' }, row.message));
}

export function botLogTable() {
  const body = h('tbody');
  const table = h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Time', 'Bot', 'Level', 'Event', 'Message'].map((c) => h('th', { scope: 'col' }, c)))),
    body));
  return { table, body };
}

/** One line of a bot's console. */
export function consoleLine(row) {
  return h('div', { class: 'console-line' },
    h('span', { class: 'muted' }, new Date(row.at).toLocaleTimeString()),
    h('span', { class: `lvl-${row.level}` }, row.level.toUpperCase()),
    h('span', { class: 'ev' }, row.event),
    h('span', {}, row.message));
}
