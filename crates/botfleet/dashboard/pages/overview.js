// Overview: what a shop admin looks at first. Tiles (bots by status, commands in the last hour,
// p99 reply latency), the commands/min + latency chart, the fleet's performance over 1h / 24h / 7d
// (this node's rows: commands/s, mean latency, memory), and the live command feed (newest first,
// pausable). Everything but the performance charts updates in place from live messages.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, num, ms, failed, empty, loading } from '../ui.js';
import { Activity, activityChart } from '../parts/chart.js';
import { performancePanel } from '../parts/performance.js';
import { bots as botMap, commandRow, commandTable } from '../parts/rows.js';

const FEED_ROWS = 30;
const SEED_ROWS = 200;

export function mount(main) {
  const activity = new Activity(60);
  const tileValues = {};
  const tile = (key, label, status) => {
    tileValues[key] = h('div', { class: 'tile-value' }, '—');
    tileValues[`${key}-note`] = h('div', { class: 'tile-note' });
    return h('div', { class: 'tile' },
      h('div', { class: 'tile-label' }, status ? h('span', { class: ['status', `status-${status}`] }, h('span', { class: 'dot', 'aria-hidden': 'true' })) : null, label),
      tileValues[key], tileValues[`${key}-note`]);
  };
  const tiles = h('div', { class: 'tiles', role: 'group', 'aria-label': 'Fleet summary' },
    tile('running', 'Running', 'running'),
    tile('connecting', 'Connecting', 'reconnecting'),
    tile('stopped', 'Stopped', 'stopped'),
    tile('failed', 'Failed', 'failed'),
    tile('hour', 'Commands, last hour'),
    tile('p99', 'p99 reply latency'));
  const banner = h('div');
  const chartBox = h('div', { class: 'chart', role: 'img' });
  const pause = h('button', { class: 'btn btn-small', type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const feedNote = h('span', { class: 'muted', 'aria-live': 'polite' });
  const { table, body } = commandTable(true);
  const feedSlot = h('div', {}, loading('Loading recent commands…'));
  const perf = performancePanel({ title: 'Fleet performance', headingId: 'fleet-perf-h', figures: ['commands', 'latency', 'memory'] });

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview')),
    banner,
    tiles,
    h('section', { class: 'card', 'aria-labelledby': 'chart-h' },
      h('div', { class: 'chart-title' }, h('h2', { id: 'chart-h' }, 'Commands per minute and p99 latency'), h('span', { class: 'muted' }, 'last hour')),
      chartBox),
    h('div', { class: 'section' }, perf.el),
    h('section', { class: 'section', 'aria-labelledby': 'feed-h' },
      h('div', { class: 'feed-head' }, h('h2', { id: 'feed-h' }, 'Live command feed'), feedNote, h('div', { class: 'actions' }, pause, h('a', { href: '#/commands' }, 'Command log →'))),
      feedSlot));

  const chart = activityChart(chartBox, activity, 'Bar chart of commands per minute and a line of p99 reply latency over the last hour');
  let map = new Map();
  let paused = false;
  let held = [];
  let hourCapped = false;
  let statuses = new Map();

  function drawStatusTiles() {
    const counts = { running: 0, connecting: 0, stopped: 0, failed: 0 };
    for (const s of statuses.values()) {
      if (s === 'starting' || s === 'reconnecting') counts.connecting += 1;
      else if (counts[s] !== undefined) counts[s] += 1;
    }
    for (const [key, n] of Object.entries(counts)) tileValues[key].textContent = num(n);
    const failedBots = [...statuses].filter(([, s]) => s === 'failed').map(([id]) => map.get(id)?.name ?? `Bot ${id}`);
    replace(banner, failedBots.length
      ? h('div', { class: 'banner banner-error', role: 'alert' }, `${failedBots.length === 1 ? 'A bot has' : `${failedBots.length} bots have`} failed: ${failedBots.join(', ')}. `, h('a', { href: '#/bots' }, 'See the bots'))
      : null);
  }

  function drawHour() {
    tileValues.hour.textContent = `${num(activity.total())}${hourCapped ? '+' : ''}`;
    tileValues['hour-note'].textContent = hourCapped ? `counting from the latest ${SEED_ROWS} and live` : '';
  }

  function addFeedRow(row, fresh) {
    if (!body.isConnected) replace(feedSlot, table);
    body.prepend(commandRow(row, map, { fresh }));
    while (body.children.length > FEED_ROWS) body.lastElementChild.remove();
  }

  async function load() {
    try {
      const since = new Date(Date.now() - 3600e3).toISOString();
      const [bots, recent, latency] = await Promise.all([
        botMap(), api.get('/command-logs', { since, limit: SEED_ROWS }), api.get('/fleet/latency'),
      ]);
      map = bots;
      statuses = new Map([...bots.values()].map((b) => [b.id, b.status]));
      drawStatusTiles();
      activity.buckets.clear();
      recent.items.forEach((r) => activity.add(r));
      if (recent.items.length) live.shown('command', recent.items[0].id);
      hourCapped = Boolean(recent.next_cursor);
      drawHour();
      chart.update();
      tileValues.p99.textContent = ms(latency.p99_ms);
      tileValues['p99-note'].textContent = latency.count ? `${num(latency.count)} commands since start` : 'no commands yet';
      body.replaceChildren();
      const rows = recent.items.slice(0, FEED_ROWS).reverse();
      if (rows.length === 0) replace(feedSlot, empty('No commands in the last hour. When someone uses a bot on Discord, the command shows up here.'));
      else rows.forEach((r) => addFeedRow(r, false));
    } catch (err) {
      replace(feedSlot, failed(err, load));
    }
  }

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      held.forEach((r) => addFeedRow(r, true));
      held = [];
      feedNote.textContent = '';
    }
  });

  const stopListening = live.onMessage((m) => {
    if (m.type === 'command') {
      activity.add(m);
      drawHour();
      if (paused) {
        held.push(m);
        held = held.slice(-FEED_ROWS);
        feedNote.textContent = `Paused · ${held.length} new`;
      } else addFeedRow(m, true);
    } else if (m.type === 'bot_status') {
      statuses.set(m.bot_id, m.status);
      drawStatusTiles();
    } else if (m.type === 'fleet') {
      if (m.p99_ms !== undefined && m.p99_ms !== null) {
        tileValues.p99.textContent = ms(m.p99_ms);
        tileValues['p99-note'].textContent = 'every command since start';
      }
      if (m.bots) {
        // The fleet message carries the counts directly.
        tileValues.running.textContent = num(m.bots.running);
        tileValues.connecting.textContent = num((m.bots.starting ?? 0) + (m.bots.reconnecting ?? 0));
        tileValues.stopped.textContent = num(m.bots.stopped);
        tileValues.failed.textContent = num(m.bots.failed);
      }
    } else if (m.type === 'resync') {
      load();
    }
  });
  const tick = setInterval(() => { chart.update(); drawHour(); }, 5_000);
  live.subscribe(['bots', 'commands', 'fleet']);
  load();

  return () => {
    stopListening();
    clearInterval(tick);
    chart.destroy();
    perf.destroy();
  };
}
