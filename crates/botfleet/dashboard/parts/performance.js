// Performance over time, from GET /api/v1/performance with the rows summed into spans by the
// server (step_s): a 1h / 24h / 7d picker, small charts of figures per span, and — for a bot —
// its uptime strip (one segment per span, coloured by the share of it the bot was running while
// it was meant to run; grey where nothing is known) and figure tiles (uptime over 1 h / 24 h / 7 d,
// events/s, REST calls, 429s) from GET /bots/{id}/health. The Overview shows the node's rows, a
// bot's page the bot's. Figures refresh every 30 s while the page is open.

import { api } from '../api.js';
import { h, replace, loading, failed, empty, ms, num } from '../ui.js';
import { figureChart } from './chart.js';

/** [key, label, seconds, span seconds]: 60 to 168 spans each. */
export const RANGES = [
  ['1h', 'last hour', 3_600, 60],
  ['24h', 'last 24 hours', 86_400, 900],
  ['7d', 'last 7 days', 604_800, 3_600],
];
const REFRESH_MS = 30_000;

const rangeOf = (key) => RANGES.find((r) => r[0] === key) ?? RANGES[0];
const spanWords = (step) => (step < 3600 ? `${step / 60}-minute` : 'hour');

/** An uptime share as a percentage ("—" when unknown). */
export function pct(share) {
  if (share === null || share === undefined) return '—';
  const p = share * 100;
  return `${p === 100 ? '100' : p.toFixed(share >= 0.99 ? 2 : 1)}%`;
}

export const perSecond = (v) => (v >= 100 ? `${Math.round(v)}/s` : `${v.toFixed(v >= 10 ? 1 : 2)}/s`);
export const megabytes = (v) => `${Math.round(v / 1_048_576)} MB`;
export const count = (v) => num(Math.round(v));

/** Toggle buttons choosing a range; calls `onChange(key)` when another is chosen. */
function rangePicker(current, onChange) {
  const buttons = RANGES.map(([key, label]) => h('button', {
    class: 'chip', type: 'button', 'aria-pressed': String(key === current), title: `Show the ${label}`, dataset: { range: key },
  }, key));
  for (const b of buttons) {
    b.addEventListener('click', () => {
      if (b.getAttribute('aria-pressed') === 'true') return;
      buttons.forEach((o) => o.setAttribute('aria-pressed', String(o === b)));
      onChange(b.dataset.range);
    });
  }
  return h('div', { class: 'chips range-picker', role: 'group', 'aria-label': 'Time range' }, buttons);
}

/** The range's spans, oldest first, each the sum of its rows (null fields: no row for it). */
async function loadSpans(botId, key) {
  const [, , seconds, step] = rangeOf(key);
  const stepMs = step * 1000;
  const now = Date.now();
  const last = Math.floor(now / stepMs) * stepMs;
  const first = last - (seconds / step - 1) * stepMs;
  const { items } = await api.get('/performance', {
    bot_id: botId, since: new Date(first).toISOString(), until: new Date(now).toISOString(), step_s: step,
  });
  const byStart = new Map();
  for (const r of items) {
    const at = Math.floor(Date.parse(r.at) / stepMs) * stepMs;
    const s = byStart.get(at) ?? { commands: 0, errors: 0, answered: 0, latencyWeighted: 0, up_ms: 0, span_ms: 0, rss: null };
    s.commands += r.commands;
    s.errors += r.errors;
    s.up_ms += r.up_ms;
    s.span_ms += r.span_ms;
    if (r.latency_avg_ms !== null) {
      // Rows of several nodes: weigh each mean by its answered commands.
      const n = Math.max(1, r.commands - r.denied);
      s.answered += n;
      s.latencyWeighted += r.latency_avg_ms * n;
    }
    if (r.rss_bytes !== null) s.rss = Math.max(s.rss ?? 0, r.rss_bytes);
    byStart.set(at, s);
  }
  const spans = [];
  for (let at = first; at <= last; at += stepMs) spans.push({ at, row: byStart.get(at) ?? null });
  return { step, spans, rows: items.length };
}

/** Figures a chart can show: value(span row, step) → number or null. */
export const FIGURES = {
  commands: { label: 'Commands/s', format: perSecond, axis: (t) => `${+t.toPrecision(3)}/s`, value: (r, step) => r.commands / step },
  latency: { label: 'Mean reply latency', color: '--warn', format: ms, axis: (t) => `${+t.toPrecision(3)} ms`, value: (r) => (r.answered ? r.latencyWeighted / r.answered : null) },
  errors: { label: 'Errors', color: '--err', bars: true, integer: true, format: count, value: (r) => r.errors },
  memory: { label: 'Memory', color: '--info', format: megabytes, value: (r) => r.rss },
};

/** Average and peak of the known values, in words. */
function summary(values, format) {
  const known = values.filter((v) => v !== null && v !== undefined);
  if (known.length === 0) return 'no figures';
  const avg = known.reduce((a, b) => a + b, 0) / known.length;
  return `average ${format(avg)}, peak ${format(Math.max(...known))}`;
}

/** The uptime strip's segments and its description. */
function drawStrip(strip, spans, step, rangeLabel) {
  const tally = { up: 0, partial: 0, down: 0, unknown: 0 };
  const fmt = new Intl.DateTimeFormat(undefined, step < 3600 ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  const segments = spans.map(({ at, row }) => {
    const share = row && row.span_ms > 0 ? Math.min(1, row.up_ms / row.span_ms) : null;
    const kind = share === null ? 'unknown' : share >= 0.999 ? 'up' : share >= 0.9 ? 'partial' : 'down';
    tally[kind] += 1;
    const what = share === null ? 'not observed' : `${pct(share)} up`;
    return h('span', { class: ['seg', `seg-${kind}`], title: `${fmt.format(new Date(at))}: ${what}` });
  });
  replace(strip, ...segments);
  strip.setAttribute('aria-label', `Uptime by ${spanWords(step)} span over the ${rangeLabel}: ${tally.up} up, `
    + `${tally.partial} partly down, ${tally.down} down, ${tally.unknown} not observed`);
}

/**
 * A performance card: `{title, botId (absent: the node's rows), figures: keys of FIGURES, strip:
 * bool (a bot's uptime strip), tiles: bool (a bot's figure tiles)}`. Returns {el, destroy}.
 */
export function performancePanel({ title, headingId, botId, figures, strip = false, tiles = false }) {
  let range = '1h';
  let seq = 0;
  const tileValues = {};
  const tile = (key, label) => {
    tileValues[key] = h('div', { class: 'tile-value' }, '—');
    return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), tileValues[key]);
  };
  const tileRow = tiles ? h('div', { class: 'tiles', role: 'group', 'aria-label': 'Uptime and figures' },
    tile('1h', 'Uptime, last hour'), tile('24h', 'Uptime, 24 hours'), tile('7d', 'Uptime, 7 days'),
    tile('eps', 'Events/s, last minute'), tile('rest', 'REST calls'), tile('limited', '429s met')) : null;
  const tileNote = tiles ? h('p', { class: 'hint' }, 'Uptime: the share of the time the bot was meant to run that it was running (a bot stopped on purpose is not down). REST calls and 429s: since botfleet started.') : null;

  const stripBox = h('div', { class: 'uptime-strip', role: 'img', tabindex: '0' });
  const stripPart = strip ? h('div', { class: 'uptime' },
    h('h3', {}, 'Uptime'), stripBox,
    h('ul', { class: 'uptime-legend', 'aria-hidden': 'true' },
      ...[['up', 'up'], ['partial', 'partly down'], ['down', 'down (below 90%)'], ['unknown', 'not observed']]
        .map(([k, label]) => h('li', {}, h('span', { class: ['seg', `seg-${k}`] }), label)))) : null;

  const charts = figures.map((key) => {
    const f = FIGURES[key];
    const box = h('div', { class: 'chart chart-small', role: 'img' });
    const note = h('span', { class: 'figure-note muted' });
    const fig = h('figure', { class: 'figure' }, h('figcaption', {}, h('strong', {}, f.label), note), box);
    const chart = figureChart(box, { label: f.label, color: f.color, bars: f.bars, integer: f.integer, format: f.format, axis: f.axis });
    return { key, f, box, note, fig, chart };
  });
  const content = h('div', {}, stripPart, h('div', { class: 'figure-grid' }, charts.map((c) => c.fig)));
  const slot = h('div', { 'aria-live': 'polite' }, loading('Loading figures…'));

  async function loadTiles() {
    if (!tiles) return;
    try {
      const { figures: f } = await api.get(`/bots/${botId}/health`);
      for (const k of ['1h', '24h', '7d']) tileValues[k].textContent = pct(f.uptime[k]);
      tileValues.eps.textContent = perSecond(f.events_per_s);
      tileValues.rest.textContent = num(f.rest_calls);
      tileValues.limited.textContent = num(f.rate_limited);
    } catch {
      // The tiles keep their last figures; the charts below say when the API is unreachable.
    }
  }

  async function load() {
    const mine = ++seq;
    const [, label] = rangeOf(range);
    try {
      const { step, spans, rows } = await loadSpans(botId, range);
      if (mine !== seq) return;
      if (rows === 0) {
        replace(slot, empty(`No figures for the ${label} yet. botfleet records them every few seconds while it runs${botId ? ' and the bot is meant to run' : ''}.`));
        return;
      }
      if (!content.isConnected) replace(slot, content);
      if (strip) drawStrip(stripBox, spans, step, label);
      const xs = spans.map((s) => s.at / 1000);
      for (const c of charts) {
        const ys = spans.map((s) => (s.row ? c.f.value(s.row, step) : null));
        c.chart.set([xs, ys]);
        c.note.textContent = summary(ys, c.f.format);
        c.box.setAttribute('aria-label', `${c.f.label} per ${spanWords(step)} span over the ${label}: ${summary(ys, c.f.format)}`);
      }
    } catch (err) {
      if (mine === seq) replace(slot, failed(err, load));
    }
  }

  const picker = rangePicker(range, (key) => {
    range = key;
    replace(slot, loading('Loading figures…'));
    load();
  });
  const el = h('section', { class: 'card perf', 'aria-labelledby': headingId },
    h('div', { class: 'perf-head' }, h('h2', { id: headingId }, title), picker),
    tileRow, tileNote, slot);
  const tick = setInterval(() => { load(); loadTiles(); }, REFRESH_MS);
  load();
  loadTiles();
  return {
    el,
    destroy() {
      seq += 1;
      clearInterval(tick);
      charts.forEach((c) => c.chart.destroy());
    },
  };
}
