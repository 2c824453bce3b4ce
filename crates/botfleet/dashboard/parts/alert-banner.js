// The strip of firing alerts at the top of every page: rule, subject, since when and who
// acknowledged it, a link to the incident on the Alerts page and, for operators and admins, an
// "Acknowledge" button. Loaded from `GET /alerts/incidents?state=firing`, then kept current by
// the live `alerts` topic (or the poller when WebSockets are off). Items are added, replaced and
// removed one by one inside a polite live region, so a screen reader hears only what changed.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, timeEl } from '../ui.js';

/** At most this many incidents in the strip; the rest are counted, with a link to the page. */
const SHOWN = 3;

/** Whether an incident is still firing and not yet acknowledged. */
export const unacknowledged = (incident) => incident.state === 'firing' && !incident.acknowledged_at;

/** The words under an incident: subject, since when, acknowledged by whom. */
export function incidentFacts(incident) {
  return [
    h('span', { class: 'alert-subject' }, incident.subject_label || incident.subject),
    h('span', { class: 'alert-since' }, 'since ', timeEl(incident.started_at)),
    incident.acknowledged_at
      ? h('span', { class: 'alert-ack' }, `acknowledged by ${incident.acknowledged_by ?? 'someone'}`)
      : null,
  ];
}

/**
 * Acknowledges an incident from `button`; resolves with the incident as it is now (or undefined
 * when refused: the toast says why, e.g. someone else took it first).
 */
export function acknowledge(button, incident) {
  return act(button, 'Acknowledging…', () => api.post(`/alerts/incidents/${incident.id}/acknowledge`),
    `Acknowledged: ${incident.rule_name}`);
}

/** The banner: returns {el, stop}. `can` is the shell's permission check. */
export function alertBanner({ can }) {
  const mayAck = can('alerts.acknowledge');
  const incidents = new Map(); // id -> firing incident
  const items = new Map(); // id -> {li, text}
  const list = h('ul', { class: 'alert-list', 'aria-live': 'polite', 'aria-label': 'Firing alerts' });
  const more = h('p', { class: 'alert-more' });
  const el = h('section', { class: 'alert-strip', 'aria-label': 'Alerts firing now' }, list, more);
  let loading = false;
  let dirty = false;
  let retry = null;
  let stopped = false;

  function item(incident) {
    const acked = Boolean(incident.acknowledged_at);
    const ack = mayAck && !acked
      ? h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Acknowledge ${incident.rule_name}: ${incident.subject_label}` }, 'Acknowledge')
      : null;
    ack?.addEventListener('click', async () => {
      const saved = await acknowledge(ack, incident);
      if (saved) upsert(saved);
      else load();
    });
    return h('li', { class: ['alert-item', acked ? 'alert-item-acked' : null], dataset: { incident: incident.id } },
      h('span', { class: ['alert-state', acked ? 'alert-state-acked' : 'alert-state-firing'] },
        h('span', { class: 'alert-icon', 'aria-hidden': 'true' }, acked ? '●' : '▲'), acked ? 'Acknowledged' : 'Firing'),
      h('span', { class: 'alert-text' },
        h('strong', { class: 'alert-rule' }, incident.rule_name), ' ', incidentFacts(incident)),
      h('span', { class: 'alert-actions' },
        h('a', { href: `#/alerts?incident=${incident.id}`, 'aria-label': `Details of ${incident.rule_name}: ${incident.subject_label}` }, 'Details'),
        ack));
  }

  /** Brings the list in line with `incidents`, touching only the items that changed. */
  function draw() {
    const sorted = [...incidents.values()].sort((a, b) => b.id - a.id);
    const visible = sorted.slice(0, SHOWN);
    const wanted = new Set(visible.map((i) => i.id));
    for (const [id, { li }] of items) {
      if (!wanted.has(id)) {
        li.remove();
        items.delete(id);
      }
    }
    visible.forEach((incident, index) => {
      const text = JSON.stringify(incident);
      const known = items.get(incident.id);
      let li = known?.li;
      if (!known || known.text !== text) {
        const fresh = item(incident);
        if (li) li.replaceWith(fresh);
        li = fresh;
        items.set(incident.id, { li, text });
      }
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
    const hidden = sorted.length - visible.length;
    replace(more, hidden > 0
      ? h('a', { href: '#/alerts' }, `${hidden} more firing — see every alert`)
      : null);
    el.classList.toggle('alert-strip-on', sorted.length > 0);
    el.classList.toggle('alert-strip-acked', sorted.length > 0 && !sorted.some(unacknowledged));
  }

  function upsert(incident) {
    if (incident.state === 'firing') incidents.set(incident.id, incident);
    else incidents.delete(incident.id);
    draw();
  }

  async function load() {
    if (loading) {
      dirty = true;
      return;
    }
    loading = true;
    dirty = false;
    clearTimeout(retry);
    try {
      const page = await api.get('/alerts/incidents', { state: 'firing', limit: 50 });
      if (stopped) return;
      if (dirty) return; // something changed meanwhile: the `finally` loads again
      incidents.clear();
      page.items.forEach((i) => incidents.set(i.id, i));
      draw();
    } catch (err) {
      if (!stopped && !err?.signedOut) retry = setTimeout(load, 15_000);
    } finally {
      loading = false;
      if (dirty && !stopped) load();
    }
  }

  const off = live.onMessage((m) => {
    if (m.type === 'alert' && m.incident) {
      if (loading) dirty = true;
      upsert(m.incident);
    } else if (m.type === 'resync') {
      load();
    }
  });
  load();

  return {
    el,
    stop() {
      stopped = true;
      clearTimeout(retry);
      off();
    },
  };
}
