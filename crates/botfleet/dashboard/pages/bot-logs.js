// Bot log: what the bots did (connected, reconnecting, failed, …), newest first, with filters
// (bot, level, event), the `q` search, a time range, "Load older" and live rows at the top.

import { logView } from '../parts/log-view.js';
import { botLogRow, botLogTable } from '../parts/rows.js';

export function mount(main, ctx) {
  return logView(main, ctx, {
    title: 'Bot log',
    path: '/bot-logs',
    hashPath: '/bot-logs',
    topic: 'bot_logs',
    message: 'bot_log',
    chips: { name: 'level', label: 'Level', options: [['', 'All'], ['info', 'Info'], ['warn', 'Warning'], ['error', 'Error']] },
    texts: [{ name: 'event', label: 'Event' }],
    searchHint: 'Message or event, e.g. "closed with code" -resumed',
    searchFields: ['message', 'event'],
    row: (row, map, opts) => botLogRow(row, map, opts),
    table: botLogTable,
    emptyText: 'No bot log lines yet. Start a bot to see what it does.',
  });
}
