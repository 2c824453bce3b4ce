// The Alerts page's "Incidents" tab: what is firing now, then the history with "Load older", each
// incident a card that opens to its notification timeline with every delivery's state (looked at
// again while deliveries are pending), and "Acknowledge" for operators and admins. Kept current by
// the page's live `alerts` messages; `?incident=ID` opens that incident's timeline.

import { api } from '../../api.js';
import { h, replace, act, toast, loading, failed, empty, timeEl, uid } from '../../ui.js';
import { acknowledge } from '../../parts/alert-banner.js';
import { badge, duration } from '../../parts/alert-words.js';

const HISTORY_PAGE = 20;

const NOTIFICATION_WORDS = { firing: 'Fired', resent: 'Sent again', recovered: 'Recovered', acknowledged: 'Acknowledged', test: 'Test' };

function stateBadge(incident) {
  if (incident.state !== 'firing') return badge('ok', '✓', 'Resolved');
  if (incident.acknowledged_at) return badge('warn', '●', 'Acknowledged');
  return badge('err', '▲', 'Firing');
}

/**
 * Fills `panel`. `refs` names the channels of deliveries; `showCount` gets the words for the page's
 * heading ("2 firing, 1 acknowledged"). Returns {load, upsert, reload, tick, stop}: the first load,
 * one incident as it is now (a live message), a reload of every list (a resync or another tab's
 * change), the redraw of every "for 5 min", and the end (timers cleared).
 */
export function incidentsTab(panel, { admin, mayAck, query, refs, showCount }) {
  const cards = new Map(); // id -> {incident, li, body, timeline, toggle, open, refresh, age}
  const firingList = h('ul', { class: 'incidents', 'aria-labelledby': 'firing-h' });
  const historyList = h('ul', { class: 'incidents', 'aria-labelledby': 'history-h' });
  const firingSlot = h('div', {}, loading('Loading alerts…'));
  const historySlot = h('div', {}, loading('Loading history…'));
  const historyFoot = h('div', { class: 'list-foot' });
  const older = h('button', { class: 'btn', type: 'button' }, 'Load older');
  let historyCursor = null;
  let pagedOlder = false;
  replace(panel,
    h('section', { class: 'section-tight' }, h('h2', { id: 'firing-h' }, 'Firing now'), firingSlot),
    h('section', { class: 'section' }, h('h2', { id: 'history-h' }, 'History'), historySlot, historyFoot));

  function drawCard(card) {
    const i = card.incident;
    const focused = card.body.contains(document.activeElement) ? document.activeElement : null;
    const ack = mayAck && i.state === 'firing' && !i.acknowledged_at
      ? h('button', { class: 'btn btn-small', type: 'button' }, 'Acknowledge')
      : null;
    ack?.addEventListener('click', async () => {
      const saved = await acknowledge(ack, i);
      if (saved) {
        upsert(saved);
        card.toggle.focus();
      } else reloadIncidents();
    });
    const started = Date.parse(i.started_at);
    const ended = i.resolved_at ? Date.parse(i.resolved_at) : Date.now();
    card.age = i.resolved_at ? null : h('span', {}, `for ${duration(ended - started)}`);
    const subject = i.bot_id ? h('a', { href: `#/bots/${i.bot_id}` }, i.subject_label) : i.subject_label;
    card.li.className = ['incident', `incident-${i.state === 'firing' ? (i.acknowledged_at ? 'acked' : 'firing') : 'resolved'}`].join(' ');
    replace(card.body,
      h('div', { class: 'incident-head' },
        stateBadge(i),
        h('h3', { class: 'incident-title' }, i.rule_name, h('span', { class: 'muted' }, ' · '), subject),
        h('div', { class: 'actions incident-actions' }, ack, card.toggle)),
      i.detail ? h('p', { class: 'incident-detail' }, i.detail) : null,
      h('p', { class: 'incident-meta muted' },
        h('span', {}, 'Started ', timeEl(i.started_at)),
        i.resolved_at
          ? h('span', {}, 'Resolved ', timeEl(i.resolved_at), ` after ${duration(ended - started)}`)
          : card.age,
        i.last_sent_at ? h('span', {}, 'Last sent ', timeEl(i.last_sent_at)) : null,
        i.acknowledged_at ? h('span', { class: 'incident-ack' }, `Acknowledged by ${i.acknowledged_by ?? 'someone'} at `, timeEl(i.acknowledged_at)) : null));
    // A redraw keeps keyboard focus on the card (its button may be gone: then on its timeline toggle).
    if (focused && !card.body.contains(focused)) card.toggle.focus({ preventScroll: true });
    else if (focused) focused.focus({ preventScroll: true });
  }

  function makeCard(incident) {
    const timelineId = uid('timeline');
    const toggle = h('button', { class: 'btn btn-small btn-quiet', type: 'button', 'aria-expanded': 'false', 'aria-controls': timelineId }, 'Timeline');
    const card = {
      incident,
      li: h('li', { dataset: { incident: incident.id } }),
      body: h('div', {}),
      timeline: h('div', { class: 'timeline-box', id: timelineId, hidden: true }),
      toggle,
      open: false,
      refresh: null,
      age: null,
    };
    toggle.setAttribute('aria-label', `Timeline of ${incident.rule_name}: ${incident.subject_label}`);
    toggle.addEventListener('click', () => setOpen(card, !card.open));
    card.li.append(card.body, card.timeline);
    drawCard(card);
    return card;
  }

  function setOpen(card, open) {
    card.open = open;
    card.toggle.setAttribute('aria-expanded', String(open));
    card.toggle.textContent = open ? 'Hide timeline' : 'Timeline';
    card.timeline.hidden = !open;
    clearTimeout(card.refresh);
    if (open) {
      if (!card.timeline.childElementCount) replace(card.timeline, loading('Loading the timeline…'));
      loadTimeline(card);
    }
  }

  function delivery(d) {
    let state;
    if (d.state === 'sent') {
      state = h('span', {}, badge('ok', '✓', 'Sent'), ' ', timeEl(d.sent_at));
    } else if (d.state === 'pending') {
      state = h('span', {}, badge('warn', '…', 'Pending'),
        d.attempts ? ` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} so far; ` : ' ',
        d.next_attempt_at ? h('span', {}, 'next attempt ', timeEl(d.next_attempt_at)) : null);
    } else {
      state = h('span', {}, badge('err', '✕', 'Failed'), ` after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`);
    }
    return h('li', { class: 'delivery' },
      h('span', { class: 'delivery-channel' }, refs.channelName(d.channel_id)), state,
      d.last_error && d.state !== 'sent' ? h('span', { class: 'delivery-error' }, d.last_error) : null);
  }

  function notification(n) {
    let sent;
    if (n.muted) sent = h('p', { class: 'muted' }, 'Not sent: a maintenance window was on (or the incident was closed quietly).');
    else if (n.deliveries.length === 0) sent = h('p', { class: 'muted' }, 'No channels: shown on the dashboard only.');
    else sent = h('ul', { class: 'deliveries', 'aria-label': 'Deliveries' }, n.deliveries.map(delivery));
    return h('li', { class: ['tl-item', `tl-${n.kind}`] },
      h('div', { class: 'tl-head' }, h('strong', {}, NOTIFICATION_WORDS[n.kind] ?? n.kind), ' ', timeEl(n.at),
        n.muted ? badge('neutral', '◌', 'Muted') : null),
      h('div', { class: 'tl-title' }, n.title),
      n.detail ? h('div', { class: 'tl-detail muted' }, n.detail) : null,
      sent);
  }

  async function loadTimeline(card) {
    try {
      const detail = await api.get(`/alerts/incidents/${card.incident.id}`);
      if (!card.open) return;
      card.incident = detail.incident;
      drawCard(card);
      const list = detail.notifications;
      replace(card.timeline, list.length
        ? h('ol', { class: 'timeline' }, list.map(notification))
        : h('p', { class: 'muted' }, 'Nothing was sent about it yet.'));
      // Deliveries still pending change without a live message: look again while it is open.
      if (list.some((n) => n.deliveries.some((d) => d.state === 'pending'))) {
        card.refresh = setTimeout(() => card.open && loadTimeline(card), 5000);
      }
    } catch (err) {
      if (card.open) replace(card.timeline, failed(err, () => loadTimeline(card)));
    }
  }

  function drawLists() {
    const firing = [...cards.values()].filter((c) => c.incident.state === 'firing').sort((a, b) => b.incident.id - a.incident.id);
    const history = [...cards.values()].filter((c) => c.incident.state !== 'firing').sort((a, b) => b.incident.id - a.incident.id);
    firingList.replaceChildren(...firing.map((c) => c.li));
    historyList.replaceChildren(...history.map((c) => c.li));
    if (firing.length) {
      if (!firingList.isConnected) replace(firingSlot, firingList);
    } else {
      replace(firingSlot, empty(`Nothing is firing.${admin ? ' Rules decide what fires: see the Rules tab.' : ''}`));
    }
    if (history.length) {
      if (!historyList.isConnected) replace(historySlot, historyList);
    } else {
      replace(historySlot, empty('No resolved incidents yet.'));
    }
    const unacked = firing.filter((c) => !c.incident.acknowledged_at).length;
    showCount(firing.length
      ? `${firing.length} firing${unacked < firing.length ? `, ${firing.length - unacked} acknowledged` : ''}`
      : '');
  }

  function upsert(incident) {
    const card = cards.get(incident.id);
    if (card) {
      card.incident = incident;
      drawCard(card);
      if (card.open) loadTimeline(card);
    } else {
      cards.set(incident.id, makeCard(incident));
    }
    drawLists();
  }

  async function reloadIncidents() {
    try {
      const [firing, history] = await Promise.all([
        api.all('/alerts/incidents', { state: 'firing' }).then((items) => ({ items })),
        api.get('/alerts/incidents', { state: 'resolved', limit: HISTORY_PAGE }),
      ]);
      const keep = new Set([...firing.items, ...history.items].map((i) => i.id));
      for (const [id, card] of cards) {
        // Older history already paged in stays; a card that vanished from "firing" is refetched below.
        if (!keep.has(id) && card.incident.state === 'firing') cards.delete(id);
      }
      for (const i of [...firing.items, ...history.items]) {
        const card = cards.get(i.id);
        if (card) {
          card.incident = i;
          drawCard(card);
          if (card.open) loadTimeline(card);
        } else cards.set(i.id, makeCard(i));
      }
      if (!pagedOlder) historyCursor = history.next_cursor ?? null;
      replace(historyFoot, historyCursor ? older : null);
      drawLists();
    } catch (err) {
      replace(firingSlot, failed(err, reloadIncidents));
      replace(historySlot);
    }
  }

  older.addEventListener('click', () => act(older, 'Loading…', async () => {
    const page = await api.get('/alerts/incidents', { state: 'resolved', limit: HISTORY_PAGE, cursor: historyCursor });
    pagedOlder = true;
    page.items.forEach((i) => { if (!cards.has(i.id)) cards.set(i.id, makeCard(i)); });
    historyCursor = page.next_cursor ?? null;
    replace(historyFoot, historyCursor ? older : null);
    drawLists();
  }));

  async function loadIncidents() {
    await refs.load();
    await reloadIncidents();
    const wanted = Number(query.get('incident'));
    if (wanted > 0) {
      let card = cards.get(wanted);
      if (!card) {
        try {
          const detail = await api.get(`/alerts/incidents/${wanted}`);
          card = makeCard(detail.incident);
          cards.set(wanted, card);
          drawLists();
        } catch (err) {
          toast(`Incident ${wanted}: ${err.message}`, 'error');
          return;
        }
      }
      setOpen(card, true);
      card.li.scrollIntoView({ block: 'center' });
      card.toggle.focus({ preventScroll: true });
    }
  }

  return {
    load: loadIncidents,
    upsert,
    reload: reloadIncidents,
    /** "for 5 min": redrawn now and then (no layout jump: same rows). */
    tick() {
      for (const card of cards.values()) {
        if (card.age) card.age.textContent = `for ${duration(Date.now() - Date.parse(card.incident.started_at))}`;
      }
    },
    stop() {
      for (const card of cards.values()) clearTimeout(card.refresh);
    },
  };
}
