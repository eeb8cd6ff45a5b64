// The trace of a session as a tree: turns, model calls, tool calls, policy and approvals with their timings.
import { api } from './api.js';
import { formatCost, formatDuration, formatNumber, h, link, sessionPath, showError } from './dom.js';

function label(node) {
  const facts = [];
  if (!['policy', 'approval', 'event'].includes(node.kind)) facts.push(formatDuration(node.duration_ms));
  if ((node.input_tokens ?? 0) + (node.output_tokens ?? 0) > 0) {
    facts.push(`in ${formatNumber(node.input_tokens)}` +
      (node.cached_input_tokens ? ` (cached ${formatNumber(node.cached_input_tokens)})` : '') +
      ` out ${formatNumber(node.output_tokens)}`);
  }
  if (node.cost_usd > 0) facts.push(formatCost(node.cost_usd));
  return [
    h('span', { class: 'badge kind-' + String(node.kind).replace(/[^a-z_]/g, '') }, node.kind),
    ' ', h('span', { class: 'name' }, node.name),
    node.detail ? h('span', { class: 'detail' }, ' ' + node.detail) : null,
    facts.length > 0 ? h('small', { class: 'facts' }, ' · ' + facts.join(' · ')) : null,
  ];
}

function tree(nodes) {
  return h('ul', { class: 'tree' }, nodes.map((node) => {
    const children = node.children ?? [];
    return h('li', {}, children.length > 0
      ? h('details', { open: true }, h('summary', {}, label(node)), tree(children))
      : h('div', { class: 'leaf' }, label(node)));
  }));
}

/** Draws the page. */
export function render(main, id) {
  const controller = new AbortController();
  const slot = h('div', { 'aria-busy': 'true' }, 'Loading…');
  main.append(h('h1', {}, 'Trace of ', link(sessionPath(id), id)), slot);
  api('/v1/sessions/' + encodeURIComponent(id) + '/trace', { signal: controller.signal })
    .then((root) => {
      slot.removeAttribute('aria-busy');
      slot.replaceChildren(tree(Array.isArray(root) ? root : [root]));
    })
    .catch((error) => {
      if (!controller.signal.aborted) showError(slot, error);
    });
  return () => controller.abort();
}
