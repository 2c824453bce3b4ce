// Alerts: the page that holds four tabs, each in its own module under pages/alerts/: the incidents
// (firing first, then history; each opens to its notification timeline; acknowledge for operators
// and admins), the rules, the notification channels and the maintenance windows. Admins manage the
// last three; everyone else sees rules and windows read-only, and no channel list (it is admin-only
// on the server too). This module draws the heading and the tabs, which keep their place in the
// URL (`#/alerts?tab=rules`; `?incident=ID` opens one incident's timeline), keeps the bots,
// channels and rules the tabs name, and follows the live `alerts` topic.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, uid } from '../ui.js';
import { bots as botMap } from '../parts/rows.js';
import { incidentsTab } from './alerts/incidents.js';
import { rulesTab } from './alerts/rules.js';
import { channelsTab } from './alerts/channels.js';
import { maintenanceTab } from './alerts/maintenance.js';

export { describeCondition } from './alerts/rules.js';

/**
 * The bots, channels (admins only) and rules the tabs' lists and forms name: loaded by `load`
 * (rules only when asked), every one of them (the lists page; these do not).
 */
function references(admin) {
  const refs = {
    bots: new Map(),
    channels: [], // admins only
    rules: [],
    async load({ withRules = false } = {}) {
      const jobs = [botMap().then((m) => { refs.bots = m; }).catch(() => {})];
      // Every one, page after page: the forms offer them all and the lists name them.
      if (admin) jobs.push(api.all('/alerts/channels').then((items) => { refs.channels = items; }).catch(() => {}));
      if (withRules) jobs.push(api.all('/alerts/rules').then((items) => { refs.rules = items; }).catch(() => {}));
      await Promise.all(jobs);
    },
    botName: (id) => refs.bots.get(id)?.name ?? `Bot ${id}`,
    channelName: (id) => refs.channels.find((c) => c.id === id)?.name ?? `Channel ${id}`,
    ruleName: (id) => refs.rules.find((r) => r.id === id)?.name ?? `Rule ${id}`,
  };
  return refs;
}

export function mount(main, ctx) {
  const { can, query, navigate } = ctx;
  const admin = can('alerts.manage');
  const mayAck = can('alerts.acknowledge');
  const refs = references(admin);
  const timers = [];

  // ---- tabs ---------------------------------------------------------------------------------

  const TABS = [
    ['incidents', 'Incidents'],
    ['rules', 'Rules'],
    admin ? ['channels', 'Channels'] : null,
    ['maintenance', 'Maintenance'],
  ].filter(Boolean);
  const tabs = new Map();
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Alerts' });
  const panels = h('div', {});
  for (const [key, label] of TABS) {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const tab = h('button', { class: 'tab', type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1' }, label);
    const panel = h('section', { class: 'tab-panel', role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0', hidden: true });
    tab.addEventListener('click', () => select(key, true));
    tablist.append(tab);
    panels.append(panel);
    tabs.set(key, { tab, panel, loaded: false });
  }
  tablist.addEventListener('keydown', (e) => {
    const keys = [...tabs.keys()];
    const at = keys.indexOf(current);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const key = keys[(to + keys.length) % keys.length];
    select(key, true);
    tabs.get(key).tab.focus();
  });
  let current = null;

  function select(key, remember) {
    if (!tabs.has(key)) key = 'incidents';
    current = key;
    for (const [k, t] of tabs) {
      const on = k === key;
      t.tab.setAttribute('aria-selected', String(on));
      t.tab.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
    }
    const t = tabs.get(key);
    if (!t.loaded) {
      t.loaded = true;
      loaders[key]();
    }
    if (remember) navigate(key === 'incidents' ? '#/alerts' : `#/alerts?tab=${key}`, { replace: true });
  }

  const firingCount = h('span', { class: 'muted' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Alerts'), firingCount), tablist, panels);

  // ---- the tabs' contents (drawn now, each loaded when first shown) --------------------------

  const panel = (key) => tabs.get(key).panel;
  const incidents = incidentsTab(panel('incidents'), {
    admin, mayAck, query, refs, showCount: (text) => { firingCount.textContent = text; },
  });
  const rules = rulesTab(panel('rules'), { admin, refs, reloadIncidents: () => incidents.reload() });
  const channels = admin ? channelsTab(panel('channels'), { refs, refreshRuleForm: () => rules.refreshForm() }) : null;
  const maintenance = maintenanceTab(panel('maintenance'), { admin, refs });
  const loaders = {
    incidents: incidents.load,
    rules: rules.load,
    channels: channels?.load,
    maintenance: maintenance.load,
  };

  // ---- live ---------------------------------------------------------------------------------

  const off = live.onMessage((m) => {
    if (m.type === 'alert' && m.incident) {
      if (tabs.get('incidents').loaded) incidents.upsert(m.incident);
    } else if (m.type === 'resync') {
      if (tabs.get('incidents').loaded) incidents.reload();
    }
  });
  // "for 5 min" and "Active now" age: redraw them now and then (no layout jump: same rows).
  timers.push(setInterval(incidents.tick, 30_000));
  timers.push(setInterval(() => { if (current === 'maintenance') maintenance.load(); }, 60_000));

  live.subscribe(['alerts']);
  select(query.get('tab') ?? 'incidents', false);
  if (query.get('incident')) select('incidents', false);

  return () => {
    off();
    timers.forEach(clearInterval);
    incidents.stop();
  };
}
