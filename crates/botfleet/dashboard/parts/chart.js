// The commands/min + latency chart: uPlot (vendored, loaded on first use) drawing per-minute
// buckets of commands, fed by recent command rows and then by live command messages; and
// `figureChart`, a small one-series chart of a performance figure over time (parts/performance.js).
// Colours come from the page's CSS variables so light and dark themes both read well.

import { h } from '../ui.js';

let loader = null;

/** Loads uPlot's script and stylesheet once (same origin, allowed by the CSP). */
export function loadUPlot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loader ??= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: '/assets/vendor/uPlot.min.css' }));
    const script = h('script', { src: '/assets/vendor/uPlot.iife.min.js' });
    script.addEventListener('load', () => resolve(window.uPlot));
    script.addEventListener('error', () => reject(new Error('the chart library did not load')));
    document.head.append(script);
  });
  return loader;
}

const MINUTE = 60_000;

/** Per-minute buckets of commands and their latencies, for the last `minutes`. */
export class Activity {
  constructor(minutes = 60) {
    this.minutes = minutes;
    this.buckets = new Map(); // minute start (ms) -> {count, latencies[]}
  }

  /** Counts one command row (REST or live). */
  add(row) {
    const at = Date.parse(row.received_at);
    if (Number.isNaN(at) || at < Date.now() - this.minutes * MINUTE) return;
    const key = Math.floor(at / MINUTE) * MINUTE;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { count: 0, latencies: [] }));
    bucket.count += 1;
    if (typeof row.latency_ms === 'number') bucket.latencies.push(row.latency_ms);
  }

  /** Commands counted in the window. */
  total() {
    const from = Date.now() - this.minutes * MINUTE;
    let n = 0;
    for (const [key, b] of this.buckets) if (key >= from - MINUTE) n += b.count;
    return n;
  }

  /** uPlot data: [x seconds[], commands per minute[], p99 ms[]]. */
  data() {
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const xs = [];
    const counts = [];
    const p99s = [];
    for (let t = now - (this.minutes - 1) * MINUTE; t <= now; t += MINUTE) {
      const b = this.buckets.get(t);
      xs.push(t / 1000);
      counts.push(b ? b.count : 0);
      p99s.push(b && b.latencies.length ? percentile(b.latencies, 0.99) : null);
    }
    for (const key of this.buckets.keys()) if (key < now - this.minutes * MINUTE) this.buckets.delete(key);
    return [xs, counts, p99s];
  }
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * Draws `activity` into `container` and redraws on `update()`; returns {update, destroy}. A
 * failure to load the library leaves a plain message in the chart's place.
 */
export function activityChart(container, activity, label) {
  let plot = null;
  let destroyed = false;
  const resize = new ResizeObserver(() => plot?.setSize({ width: container.clientWidth, height: 240 }));

  loadUPlot().then((uPlot) => {
    if (destroyed) return;
    const fg = cssVar('--fg-muted');
    const grid = cssVar('--border');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    plot = new uPlot({
      width: container.clientWidth || 600,
      height: 240,
      title: undefined,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, n: { range: (u, min, max) => [0, Math.max(5, max * 1.15)] }, ms: { range: (u, min, max) => [0, Math.max(5, (max ?? 0) * 1.15)] } },
      series: [
        {},
        { label: 'Commands/min', scale: 'n', stroke: cssVar('--accent'), fill: `${cssVar('--accent')}22`, width: 1.5, paths: uPlot.paths.bars({ size: [0.7, 14] }), points: { show: false }, value: (u, v) => (v === null ? '—' : v) },
        { label: 'p99 latency', scale: 'ms', stroke: cssVar('--warn'), width: 2, spanGaps: true, value: (u, v) => (v === null ? '—' : `${v.toFixed(1)} ms`) },
      ],
      axes: [
        { ...axis },
        { ...axis, scale: 'n', label: 'commands/min', labelSize: 18, size: 50 },
        { ...axis, scale: 'ms', side: 1, label: 'ms', labelSize: 18, size: 50, grid: { show: false } },
      ],
    }, activity.data(), container);
    container.setAttribute('aria-label', label);
    resize.observe(container);
  }).catch((err) => {
    container.append(h('p', { class: 'state state-error' }, `The chart could not be drawn: ${err.message}`));
  });

  return {
    update() {
      plot?.setData(activity.data());
    },
    destroy() {
      destroyed = true;
      resize.disconnect();
      plot?.destroy();
    },
  };
}

/**
 * A small chart of one figure over time: `set([xs seconds[], values[]])` draws it (null: a gap, no
 * figure for that span; a value between two gaps is drawn as a dot). `opts`: {label (the series),
 * color (a CSS variable), bars, format(v) for the read-out, axis(tick) for the axis, integer (whole
 * ticks only), height}. Returns {set, destroy}; a failure to load the library leaves a plain
 * message in its place.
 */
export function figureChart(container, { label, color = '--accent', bars = false, format = (v) => String(v), axis: tickText = format, integer = false, height = 150 }) {
  let plot = null;
  let pending = null;
  let destroyed = false;
  const resize = new ResizeObserver(() => plot?.setSize({ width: container.clientWidth, height }));

  loadUPlot().then((uPlot) => {
    if (destroyed) return;
    const fg = cssVar('--fg-muted');
    const grid = cssVar('--border');
    const stroke = cssVar(color);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    plot = new uPlot({
      width: container.clientWidth || 300,
      height,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? (integer ? Math.ceil(max * 1.15) : max * 1.15) : 1] } },
      series: [
        {},
        {
          label, stroke, width: 1.5, fill: `${stroke}22`, spanGaps: false,
          points: { show: false, size: 6, fill: stroke, filter: bars ? null : isolated },
          paths: bars ? uPlot.paths.bars({ size: [0.8, 10] }) : undefined,
          value: (u, v) => (v === null || v === undefined ? '—' : format(v)),
        },
      ],
      axes: [
        { ...axis },
        { ...axis, size: 64, incrs: integer ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10000] : undefined, values: (u, ticks) => ticks.map((t) => tickText(t)) },
      ],
    }, pending ?? [[], []], container);
    resize.observe(container);
  }).catch((err) => {
    container.append(h('p', { class: 'state state-error' }, `The chart could not be drawn: ${err.message}`));
  });

  return {
    set(data) {
      pending = data;
      plot?.setData(data);
    },
    destroy() {
      destroyed = true;
      resize.disconnect();
      plot?.destroy();
    },
  };
}

/** uPlot points filter: the indices of values with a gap (or the edge) on both sides. */
function isolated(u, seriesIdx) {
  const ys = u.data[seriesIdx];
  const out = [];
  for (let i = 0; i < ys.length; i += 1) {
    if (ys[i] !== null && ys[i] !== undefined && (ys[i - 1] ?? null) === null && (ys[i + 1] ?? null) === null) out.push(i);
  }
  return out.length ? out : null;
}
