// The approvals inbox: every pending tool call the signed-in principal may answer, refreshed every few seconds.
import { api } from './api.js';
import { diffBlock, formatTime, h, link, prettyJson, sessionPath, showError } from './dom.js';

function preview(item) {
  if (!item.preview) return null;
  const looksLikeDiff = /^(---|\+\+\+|@@|[+-])/m.test(item.preview) && item.tool !== 'shell';
  return looksLikeDiff ? diffBlock(item.preview, 'Preview') : h('pre', { class: 'command', 'aria-label': 'Preview' }, item.preview);
}

function approvalCard(item, onAnswered) {
  const titleId = 'approval-' + item.ref.replace(/[^A-Za-z0-9_-]/g, '_');
  const errorSlot = h('div');
  const remember = h('input', { type: 'checkbox', id: titleId + '-session' });
  const approve = h('button', { type: 'button' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'danger' }, 'Deny');
  const answer = async (decision) => {
    showError(errorSlot, null);
    approve.disabled = deny.disabled = true;
    try {
      await api('/v1/approvals/' + encodeURIComponent(item.ref), {
        method: 'POST',
        body: { decision, scope: remember.checked && decision === 'approve' ? 'session' : 'once', session_id: item.session_id },
      });
      onAnswered(item, decision);
    } catch (error) {
      showError(errorSlot, error);
      approve.disabled = deny.disabled = false;
    }
  };
  approve.addEventListener('click', () => answer('approve'));
  deny.addEventListener('click', () => answer('deny'));
  return h('article', { class: 'card approval', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, h('span', { class: 'tool' }, item.tool), ' in session ',
      link(sessionPath(item.session_id), item.session_id)),
    item.reason ? h('p', {}, item.reason) : null,
    preview(item),
    h('details', {}, h('summary', {}, 'Arguments'), h('pre', {}, prettyJson(item.arguments))),
    h('p', { class: 'facts' }, `Requested ${formatTime(item.requested_at)}`,
      item.expires_at ? ` · expires ${formatTime(item.expires_at)}` : '', item.workspace ? ` · ${item.workspace}` : ''),
    h('div', { class: 'actions' }, approve, deny,
      h('span', { class: 'check' }, remember, h('label', { for: titleId + '-session' }, 'Allow this for the rest of the session'))),
    errorSlot);
}

/** Draws the page; returns the function that stops its refresh. */
export function render(main) {
  const controller = new AbortController();
  const errorSlot = h('div');
  const announce = h('p', { role: 'status', class: 'live' });
  const empty = h('p', { hidden: true }, 'Nothing is waiting for your approval.');
  const list = h('div', { class: 'approvals' });
  main.append(h('h1', {}, 'Approvals'), announce, errorSlot, empty, list);

  // Cards are keyed by ref and kept across refreshes, so focus and half-made choices survive.
  const cards = new Map();
  let loaded = false;
  const load = async () => {
    try {
      const items = await api('/v1/approvals', { signal: controller.signal });
      showError(errorSlot, null);
      const refs = new Set(items.map((i) => i.ref));
      for (const [ref, card] of cards) {
        if (!refs.has(ref)) {
          card.remove();
          cards.delete(ref);
        }
      }
      for (const item of items) {
        if (!cards.has(item.ref)) {
          const card = approvalCard(item, onAnswered);
          cards.set(item.ref, card);
          list.append(card);
        }
      }
      empty.hidden = cards.size > 0;
      if (!loaded) list.removeAttribute('aria-busy');
      loaded = true;
    } catch (error) {
      if (!controller.signal.aborted) showError(errorSlot, error);
    }
  };
  const onAnswered = (item, decision) => {
    announce.textContent = `${decision === 'approve' ? 'Approved' : 'Denied'} ${item.tool} in session ${item.session_id}.`;
    cards.get(item.ref)?.remove();
    cards.delete(item.ref);
    empty.hidden = cards.size > 0;
    main.focus();
    load();
  };
  list.setAttribute('aria-busy', 'true');
  load();
  const timer = setInterval(load, 3000);
  return () => {
    clearInterval(timer);
    controller.abort();
  };
}
