// The sessions page: recent sessions and the form that starts a new one.
import { api } from './api.js';
import { formatCost, formatTime, h, link, sessionPath, showError, statusBadge } from './dom.js';

const MODES = ['read-only', 'ask', 'accept-edits', 'workspace-write', 'full-auto'];
const WORKSPACE_KEY = 'rein.workspace';

function field(id, label, control, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: id + '-hint' }, hint) : null);
}

function newSessionForm(context) {
  const message = h('textarea', { id: 'new-message', rows: 3, required: true });
  const workspace = h('input', { id: 'new-workspace', type: 'text', required: true, spellcheck: 'false', 'aria-describedby': 'new-workspace-hint' });
  workspace.value = localStorage.getItem(WORKSPACE_KEY) ?? '';
  const agent = h('input', { id: 'new-agent', type: 'text', spellcheck: 'false' });
  const model = h('input', { id: 'new-model', type: 'text', spellcheck: 'false', 'aria-describedby': 'new-model-hint' });
  const mode = h('select', { id: 'new-mode' },
    h('option', { value: '' }, 'Server default'),
    MODES.map((m) => h('option', { value: m }, m)));
  const errorSlot = h('div');
  const submit = h('button', { type: 'submit' }, 'Start session');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-title' },
    h('h2', { id: 'new-title' }, 'New session'),
    field('new-message', 'Message', message),
    h('div', { class: 'row' },
      field('new-workspace', 'Workspace', workspace, 'A folder on the server, inside one of its workspace roots.'),
      field('new-agent', 'Agent (optional)', agent),
      field('new-model', 'Model (optional)', model, 'e.g. openai:gpt-5-mini'),
      field('new-mode', 'Mode (optional)', mode)),
    h('div', { class: 'actions' }, submit),
    errorSlot);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(errorSlot, null);
    const body = { message: message.value, workspace: workspace.value.trim() };
    if (agent.value.trim()) body.agent = agent.value.trim();
    if (model.value.trim()) body.model = model.value.trim();
    if (mode.value) body.mode = mode.value;
    submit.disabled = true;
    try {
      const created = await api('/v1/sessions', { method: 'POST', body });
      localStorage.setItem(WORKSPACE_KEY, body.workspace);
      context.navigate(sessionPath(created.id));
    } catch (error) {
      showError(errorSlot, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function sessionsTable(list) {
  if (list.length === 0) return h('p', {}, 'No sessions yet. Start one with the form above.');
  return h('table', { class: 'list' },
    h('caption', { class: 'visually-hidden' }, 'Recent sessions, newest first'),
    h('thead', {}, h('tr', {},
      ['Session', 'Status', 'Agent', 'Principal', 'Cost', 'Started', 'Trace'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map((s) => h('tr', {},
      h('td', {}, link(sessionPath(s.id), s.title || s.id), s.title ? h('small', { class: 'id' }, s.id) : null),
      h('td', {}, statusBadge(s.status)),
      h('td', {}, s.agent ?? '—'),
      h('td', {}, s.principal ?? '—'),
      h('td', { class: 'num' }, formatCost(s.cost_usd)),
      h('td', {}, h('time', { datetime: s.started_at }, formatTime(s.started_at))),
      h('td', {}, link('/trace/' + encodeURIComponent(s.id), 'Trace', { 'aria-label': `Trace of ${s.title || s.id}` }))))));
}

/** Draws the page; returns the function that stops its refresh. */
export function render(main, _parameter, context) {
  const listSlot = h('div', { 'aria-busy': 'true' }, 'Loading…');
  const errorSlot = h('div');
  main.append(
    h('h1', {}, 'Sessions'),
    newSessionForm(context),
    h('section', { 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, 'Recent sessions'), errorSlot, listSlot));

  const controller = new AbortController();
  let shown = null;
  const load = async () => {
    try {
      const list = await api('/v1/sessions?limit=50', { signal: controller.signal });
      showError(errorSlot, null);
      const json = JSON.stringify(list);
      // Redrawing the table under the keyboard focus would throw the user out of it; wait until they leave it.
      if (json === shown || listSlot.contains(document.activeElement)) return;
      shown = json;
      listSlot.removeAttribute('aria-busy');
      listSlot.replaceChildren(sessionsTable(list));
    } catch (error) {
      if (!controller.signal.aborted) showError(errorSlot, error);
    }
  };
  load();
  const timer = setInterval(load, 5000);
  return () => {
    clearInterval(timer);
    controller.abort();
  };
}
