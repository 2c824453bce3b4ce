// Command log: every command the bots received, newest first, with filters (bot, outcome,
// command, user), the `q` search, a time range, "Load older" and live rows at the top.

import { logView } from '../parts/log-view.js';
import { commandRow, commandTable } from '../parts/rows.js';

export function mount(main, ctx) {
  return logView(main, ctx, {
    title: 'Command log',
    path: '/command-logs',
    hashPath: '/commands',
    topic: 'commands',
    message: 'command',
    chips: { name: 'outcome', label: 'Outcome', options: [['', 'All'], ['ok', 'OK'], ['error', 'Error'], ['denied', 'Denied'], ['expired', 'Expired']] },
    texts: [{ name: 'command', label: 'Command' }, { name: 'user_id', label: 'User id' }],
    searchHint: 'Command, arguments, reply, error or user, e.g. green tea -refund',
    searchFields: ['command', 'arguments', 'response', 'error', 'user_name'],
    row: (row, map, opts) => commandRow(row, map, opts),
    table: () => commandTable(true),
    emptyText: 'No commands yet. When someone uses a bot on Discord, the command shows up here.',
  });
}
