// One live connection for the whole page. It is the `/api/v1/live` WebSocket when the server has
// it (reconnecting by itself with backoff), and REST polling every few seconds when it does not
// (live updates turned off, or an older server): pages receive the same messages either way —
// bot_status, command, bot_log, fleet, stock, alert, job — plus `resync` (missed events: refetch the
// view). The shell follows some topics on every page (`follow`, the alert banner); a page adds
// its own (`subscribe`).

import { api } from './api.js';

const POLL_MS = 3000;
const MAX_BACKOFF_MS = 30000;

const listeners = new Set();
const stateListeners = new Set();
let want = { topics: [], bot_id: null };
let pageTopics = [];
let always = []; // topics the shell follows on every page (the alert banner's `alerts`)
let firing = new Map(); // polling: incident id -> JSON of the firing incident as last seen
let allowed = null; // topics the server allows this caller (from its hello)
let state = 'off'; // connecting | live | polling | off
let enabled = false;
let allowSocket = true;
let socket = null;
let failures = 0;
let reconnectTimer = null;
let pollTimer = null;
let poller = null;

/** Listens to live messages; returns the function that stops listening. */
export function onMessage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Listens to the connection's state (for the indicator). */
export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

export const currentState = () => state;

function emit(message) {
  for (const fn of [...listeners]) {
    try {
      fn(message);
    } catch (err) {
      console.error('live listener failed', err);
    }
  }
}

function setState(next) {
  if (state === next) return;
  state = next;
  for (const fn of [...stateListeners]) fn(state);
}

/** Topics followed on every page, whatever the page subscribes to (the shell's alert banner). */
export function follow(topics) {
  always = [...topics];
  subscribe(pageTopics, want.bot_id);
}

/** What the current page wants: topics, optionally narrowed to one bot. Replaces the previous wish. */
export function subscribe(topics, botId = null) {
  pageTopics = [...topics];
  want = { topics: [...new Set([...always, ...topics])], bot_id: botId };
  if (socket?.readyState === WebSocket.OPEN) sendSubscribe();
  if (poller) {
    // Seed the new poller at once, so nothing recorded after the page's own load is missed.
    poller = newPoller();
    clearTimeout(pollTimer);
    pollTimer = setTimeout(pollTick, 0);
  }
}

function sendSubscribe() {
  // A topic this caller may not follow would refuse the whole subscription: ask only for allowed ones.
  const topics = allowed ? want.topics.filter((t) => allowed.includes(t)) : want.topics;
  const message = { type: 'subscribe', topics };
  if (want.bot_id !== null && want.bot_id !== undefined) message.bot_id = want.bot_id;
  socket.send(JSON.stringify(message));
}

/** Starts after sign-in. `liveEnabled === false` (from /auth/me) means the server has no live endpoint turned on. */
/**
 * Tells the poller (when live updates are off) the newest row of `type` (`command`, `bot_log`) a
 * page has drawn from its own first load, so rows tracked in between are not taken as already seen.
 */
export function shown(type, id) {
  poller?.shown(type, id);
}

export function start({ liveEnabled } = {}) {
  stop();
  enabled = true;
  firing = new Map();
  allowSocket = liveEnabled !== false;
  failures = 0;
  if (allowSocket) connect();
  else startPolling();
}

/** Stops everything (sign-out). */
export function stop() {
  enabled = false;
  always = [];
  pageTopics = [];
  want = { topics: [], bot_id: null };
  clearTimeout(reconnectTimer);
  stopPolling();
  if (socket) {
    const old = socket;
    socket = null;
    old.close();
  }
  setState('off');
}

function connect() {
  if (!enabled) return;
  if (state !== 'polling') setState('connecting');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let greeted = false;
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/live`);
  socket = ws;
  ws.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'hello') {
      greeted = true;
      allowed = Array.isArray(message.topics) ? message.topics : null;
      const wasDown = failures > 0 || poller !== null;
      failures = 0;
      stopPolling();
      setState('live');
      sendSubscribe();
      if (wasDown) emit({ type: 'resync' });
      return;
    }
    if (message.type === 'lagged') {
      emit({ type: 'resync', missed: message.missed });
      return;
    }
    if (message.type === 'subscribed') return;
    if (message.type === 'error') {
      console.warn('live:', message.message);
    }
    emit(message);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws || !enabled) return;
    socket = null;
    failures += 1;
    // Not greeted twice in a row: the endpoint is missing or refusing; poll meanwhile.
    if (!greeted && failures >= 2) startPolling();
    else if (state !== 'polling') setState('connecting');
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 5));
    reconnectTimer = setTimeout(connect, backoff * (0.75 + Math.random() / 2));
  });
}

// ---- polling fallback ---------------------------------------------------------------------

function startPolling() {
  if (poller) return;
  poller = newPoller();
  setState('polling');
  pollTimer = setTimeout(pollTick, 0);
}

async function pollTick() {
  const current = poller;
  if (!current) return;
  if (document.visibilityState === 'visible') await current.poll().catch(() => {});
  // A newer poller (the page changed) has its own tick already.
  if (poller === current) pollTimer = setTimeout(pollTick, POLL_MS);
}

function stopPolling() {
  clearTimeout(pollTimer);
  poller = null;
}

/** A poller for the current wish: remembers what it has seen and emits only what is new. */
function newPoller() {
  const { topics, bot_id: botId } = want;
  const statuses = new Map();
  const jobStates = new Map(); // job id -> JSON of its progress as last seen
  let products = null; // id -> JSON of the product as last seen
  const params = botId ? { bot_id: botId, limit: 50 } : { limit: 50 };

  // The newest row already shown, per type: read when an answer arrives, so a page's own first
  // load (`shown`) counts even when it finishes after this poller's first request went out.
  const last = { command: null, bot_log: null };

  async function newRows(path, type) {
    const page = await api.get(path, params);
    const rows = page.items;
    const seen = last[type];
    if (seen !== null) {
      rows.filter((r) => r.id > seen).reverse().forEach((r) => emit({ type, ...r }));
    }
    last[type] = Math.max(rows.length ? rows[0].id : 0, seen ?? 0);
  }

  /**
   * The `jobs` topic by polling: the newest jobs and every one in progress, compared with the last
   * poll; a changed (or first seen) one comes as a `job` message, as the live topic has it.
   */
  async function pollJobs() {
    const [recent, running, queued] = await Promise.all([
      api.get('/jobs', { limit: 50 }),
      api.get('/jobs', { state: 'running', limit: 200 }),
      api.get('/jobs', { state: 'queued', limit: 200 }),
    ]);
    const seen = new Map();
    for (const job of [...running.items, ...queued.items, ...recent.items]) seen.set(job.id, job);
    for (const job of seen.values()) {
      const message = { type: 'job', id: job.id, kind: job.kind, state: job.state, total: job.total, done: job.done, failed: job.failed, cancel_requested: job.cancel_requested };
      const text = JSON.stringify(message);
      if (jobStates.get(job.id) === text) continue;
      jobStates.set(job.id, text);
      emit({ ...message, polled: true });
    }
  }

  return {
    /** The page shows rows of `type` up to `id`: anything newer is news, even on the first poll. */
    shown(type, id) {
      if (last[type] === null || id < last[type]) last[type] = id;
    },
    async poll() {
      const jobs = [];
      if (topics.includes('bots')) {
        jobs.push(api.get('/bots', { limit: 200 }).then((page) => {
          for (const bot of page.items) {
            const before = statuses.get(bot.id);
            statuses.set(bot.id, bot.status);
            if (before !== undefined && before !== bot.status) {
              emit({ type: 'bot_status', bot_id: bot.id, status: bot.status, reason: bot.status_reason });
            }
          }
        }));
      }
      if (topics.includes('commands')) {
        jobs.push(newRows('/command-logs', 'command'));
      }
      if (topics.includes('bot_logs')) {
        jobs.push(newRows('/bot-logs', 'bot_log'));
      }
      if (topics.includes('stock')) {
        jobs.push(api.all('/products', {}, 500).then((items) => {
          const now = new Map(items.map((p) => [p.id, JSON.stringify(p)]));
          if (products) {
            items.filter((p) => products.get(p.id) !== now.get(p.id)).forEach((product) => emit({ type: 'stock', product }));
            [...products.keys()].filter((id) => !now.has(id)).forEach((id) => emit({ type: 'stock', deleted: true, product: { id } }));
          }
          products = now;
        }));
      }
      if (topics.includes('fleet')) {
        jobs.push(Promise.all([api.get('/health/ready'), api.get('/fleet/latency')]).then(([ready, latency]) => {
          emit({ type: 'fleet', at: new Date().toISOString(), bots: ready.fleet, commands_per_s: null, p50_ms: latency.p50_ms, p99_ms: latency.p99_ms, polled: true });
        }));
      }
      if (topics.includes('alerts')) jobs.push(pollAlerts());
      if (topics.includes('jobs')) jobs.push(pollJobs());
      await Promise.allSettled(jobs);
    },
  };
}

/**
 * The `alerts` topic by polling: the firing incidents compared with the last poll (kept across
 * pages, so a page change misses nothing). New ones come as `firing`, a new acknowledgement as
 * `acknowledged`, a new send as `resent`, and one no longer firing as `recovered` with the incident
 * as it is now. The first poll reports every firing incident: listeners treat messages as upserts.
 */
async function pollAlerts() {
  const items = await api.all('/alerts/incidents', { state: 'firing' });
  const now = new Map(items.map((i) => [i.id, i]));
  for (const incident of items) {
    const before = firing.get(incident.id);
    const text = JSON.stringify(incident);
    if (before === text) continue;
    firing.set(incident.id, text);
    const old = before ? JSON.parse(before) : null;
    let kind = 'firing';
    if (old && incident.acknowledged_at && !old.acknowledged_at) kind = 'acknowledged';
    else if (old && incident.last_sent_at !== old.last_sent_at) kind = 'resent';
    emit({ type: 'alert', kind, incident, polled: true });
  }
  for (const [id, text] of [...firing]) {
    if (now.has(id)) continue;
    firing.delete(id);
    let incident;
    try {
      incident = (await api.get(`/alerts/incidents/${id}`)).incident;
    } catch {
      incident = { ...JSON.parse(text), state: 'resolved' };
    }
    emit({ type: 'alert', kind: 'recovered', incident, polled: true });
  }
}
