// Nodes: the botfleet processes serving this database — each one's state (up, missing, stopped),
// address, version, the bots it runs and its last heartbeat, refreshed every few seconds. With
// several nodes an admin drains a node (its bots move to the others, it takes no new ones) or takes
// it back; a node serving the database alone says so.

import { api } from '../api.js';
import { h, replace, act, confirmAction, loading, failed, num, timeEl } from '../ui.js';

const REFRESH_MS = 5000;
const STATE = {
  up: ['running', 'Up'],
  missing: ['failed', 'Missing'],
  stopped: ['stopped', 'Stopped'],
};
const iso = (ms) => (ms ? new Date(ms).toISOString() : null);

function stateBadge(node) {
  const [look, word] = node.draining && node.state === 'up' ? ['starting', 'Draining'] : (STATE[node.state] ?? ['stopped', node.state]);
  return h('span', { class: ['status', `status-${look}`] }, h('span', { class: 'dot', 'aria-hidden': 'true' }), word);
}

export function mount(main, { can }) {
  const intro = h('p', { class: 'muted' });
  const slot = h('div', {}, loading());
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Nodes')), intro, slot);
  let stopped = false;

  function drainButton(node, alone) {
    if (!can('nodes.manage') || alone || node.state !== 'up') return null;
    const label = node.draining ? 'Take back' : 'Drain';
    const button = h('button', { class: ['btn', 'btn-small', node.draining ? null : 'btn-danger'], type: 'button', 'aria-label': `${label} node ${node.id}` }, label);
    button.addEventListener('click', async () => {
      if (!node.draining) {
        const ok = await confirmAction({
          title: `Drain node ${node.id}?`,
          body: `Its ${num(node.bots)} bots move to the other nodes (each resumes its session there) and it takes no new ones until you take it back.`,
          confirm: 'Drain node',
        });
        if (!ok) return;
      }
      const done = await act(button, node.draining ? 'Taking back…' : 'Draining…',
        () => api.patch(`/nodes/${encodeURIComponent(node.id)}`, { draining: !node.draining }),
        node.draining ? `Node ${node.id} takes bots again.` : `Node ${node.id} is draining: its bots move to the other nodes.`);
      if (done) load();
    });
    return button;
  }

  function draw(items) {
    const alone = !items.some((n) => n.several);
    intro.textContent = alone
      ? 'This node serves the database alone. To share the fleet between several nodes, run each on PostgreSQL with BOTFLEET_SEVERAL_NODES=true.'
      : 'Each bot runs on one node; a node that stops or disappears has its bots taken over by the others within seconds.';
    const rows = items.map((node) => h('tr', { 'data-node-id': node.id },
      h('td', {}, h('code', {}, node.id), node.this_node ? h('span', { class: 'muted' }, ' (this node)') : null),
      h('td', {}, stateBadge(node)),
      h('td', {}, node.address),
      h('td', {}, node.version),
      h('td', { class: 'num' }, num(node.bots)),
      h('td', {}, timeEl(iso(node.started_at))),
      h('td', {}, node.state === 'stopped' ? timeEl(iso(node.stopped_at)) : timeEl(iso(node.last_heartbeat_at))),
      h('td', {}, drainButton(node, alone))));
    replace(slot, h('div', { class: 'table-wrap' }, h('table', { class: 'nodes' },
      h('thead', {}, h('tr', {}, ['Node', 'State', 'Address', 'Version', 'Bots', 'Started', 'Last heartbeat', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))));
  }

  async function load() {
    try {
      const { items } = await api.get('/nodes');
      if (!stopped) draw(items);
    } catch (err) {
      if (!stopped) replace(slot, failed(err, load));
    }
  }

  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
