// The live view of one session: its journal as it happens (Server-Sent Events read with fetch), streamed model
// text, tool calls with their arguments, policy decisions, approvals, outcomes and file diffs.
import { api, ApiError, readEventStream } from './api.js';
import {
  diffBlock, diffOfCall, formatCost, formatDuration, formatNumber, formatTime, h, link, prettyJson, showError, sleep,
  statusBadge,
} from './dom.js';

const TERMINAL = new Set(['completed', 'stopped']);

function statusAfter(current, event) {
  switch (event.type) {
    case 'session_started':
    case 'user_message':
    case 'session_resumed':
      return 'running';
    case 'session_suspended':
      return event.reason === 'awaiting_approval' ? 'awaiting_approval' : 'suspended';
    case 'session_ended':
      return event.reason === 'completed' || event.reason === 'user_exit' ? 'completed' : 'stopped';
    default:
      return current;
  }
}

/** Builds the event log and applies each event to it. */
class EventLog {
  constructor(list) {
    this.list = list;
    this.calls = new Map();
    this.streaming = null;
  }

  add(node, kind) {
    const item = h('li', { class: 'event ' + kind }, node);
    this.list.append(item);
    if (this.list.lastElementChild === item && this.followsEnd()) item.scrollIntoView({ block: 'end' });
    return item;
  }

  followsEnd() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  note(text, kind = 'note') {
    return this.add(h('p', {}, text), kind);
  }

  message(who, text, kind) {
    const body = h('div', { class: 'text' }, text ?? '');
    this.add(h('div', {}, h('span', { class: 'who' }, who), body), kind);
    return body;
  }

  delta(text) {
    if (!this.streaming) this.streaming = this.message('Assistant', '', 'assistant streaming');
    this.streaming.append(text);
    if (this.followsEnd()) this.streaming.scrollIntoView({ block: 'end' });
  }

  card(callId, tool, args) {
    const rows = h('ul', { class: 'call-rows' });
    const diff = diffOfCall(tool, args);
    const argumentsView = tool === 'shell' && typeof args?.command === 'string'
      ? h('pre', { class: 'command', 'aria-label': 'Command' }, args.command)
      : h('details', { open: diff ? false : true }, h('summary', {}, 'Arguments'), h('pre', {}, prettyJson(args)));
    const card = h('div', { class: 'call' },
      h('div', { class: 'call-head' }, h('span', { class: 'tool' }, tool), h('small', { class: 'id' }, callId)),
      argumentsView,
      diff ? diffBlock(diff, `Changes to ${args.path}`) : null,
      rows);
    this.add(card, 'tool-call');
    const entry = { card, rows };
    this.calls.set(callId, entry);
    return entry;
  }

  row(callId, content, kind) {
    const entry = this.calls.get(callId) ?? this.card(callId, '(tool)', null);
    entry.rows.append(h('li', { class: kind }, content));
  }

  apply(event) {
    switch (event.type) {
      case 'text_delta':
        this.delta(event.text ?? '');
        return;
      case 'session_started':
        this.note(`Started ${formatTime(event.at)} in ${event.workspace} with ${event.model}` +
          (event.agent ? `, agent ${event.agent}` : '') + (event.principal ? `, for ${event.principal}` : '') + '.');
        return;
      case 'user_message':
        this.streaming = null;
        this.message('You', event.text, 'user');
        return;
      case 'model_called': {
        const usage = event.usage ?? {};
        const facts = `step ${event.step} · in ${formatNumber(usage.input_tokens)} out ${formatNumber(usage.output_tokens)}` +
          (event.cost_usd ? ` · ${formatCost(event.cost_usd)}` : '') + ` · ${formatDuration(event.latency_ms)}`;
        if (this.streaming) {
          // The deltas were a preview; the journal holds the whole text.
          if (typeof event.text === 'string') this.streaming.textContent = event.text;
          this.streaming.closest('li').classList.remove('streaming');
          this.streaming.after(h('small', { class: 'facts' }, facts));
          this.streaming = null;
        } else if (event.text) {
          this.message('Assistant', event.text, 'assistant').after(h('small', { class: 'facts' }, facts));
        } else {
          this.note(`Model call: ${facts}`, 'note facts');
        }
        return;
      }
      case 'model_call_failed':
        this.streaming = null;
        this.note(`Model call failed: ${event.error}`, 'problem');
        return;
      case 'tool_call_proposed':
        this.card(event.call_id, event.name, event.arguments);
        return;
      case 'policy_decided':
        this.row(event.call_id, [h('span', { class: 'badge decision-' + event.decision }, 'policy: ' + event.decision), ' ',
          event.reason, event.rule ? ` (rule ${event.rule})` : ''], 'policy');
        return;
      case 'approval_requested':
        this.row(event.call_id, ['Waiting for approval: ', event.reason, ' ', link('/approvals', 'Open approvals')], 'approval');
        return;
      case 'approval_decided':
        this.row(event.call_id, [h('span', { class: 'badge decision-' + event.decision }, event.decision.replaceAll('_', ' ')),
          ` by ${event.by}`, event.reason ? `: ${event.reason}` : ''], 'approval');
        return;
      case 'tool_started':
        this.row(event.call_id, 'Running…', 'running');
        return;
      case 'tool_completed':
        this.row(event.call_id, [
          h('span', { class: 'badge outcome-' + event.outcome }, event.outcome), ` in ${formatDuration(event.duration_ms)}`,
          event.truncated ? ` (output truncated from ${formatNumber(event.original_length)} characters)` : '',
          h('details', { open: event.outcome !== 'success' }, h('summary', {}, 'Output'), h('pre', {}, event.result ?? '')),
        ], 'outcome');
        return;
      case 'session_suspended':
        this.streaming = null;
        this.note(event.reason === 'awaiting_approval' ? 'Paused: waiting for approval.' : `Paused: ${event.reason}.`, 'status');
        return;
      case 'session_resumed':
        this.note(event.interrupted_calls ? `Resumed (${event.interrupted_calls} interrupted calls).` : 'Resumed.', 'status');
        return;
      case 'session_ended':
        this.streaming = null;
        this.note(`Ended: ${String(event.reason).replaceAll('_', ' ')}${event.detail ? ` — ${event.detail}` : ''}.`, 'status');
        return;
      case 'budget_warning':
      case 'budget_exceeded':
        this.note(`${event.type === 'budget_exceeded' ? 'Budget exceeded' : 'Budget warning'}: ${event.budget} ` +
          `${event.used} of ${event.limit}${event.detail ? ` — ${event.detail}` : ''}`, 'problem');
        return;
      case 'egress_refused':
        this.note(`Network access refused: ${event.host}:${event.port}`, 'problem');
        return;
      case 'sandbox_disabled':
        this.note(`Sandbox disabled: ${event.detail}`, 'problem');
        return;
      default: {
        const { type, seq: _seq, at: _at, session_id: _sessionId, ...rest } = event;
        this.add(h('details', {}, h('summary', {}, String(type).replaceAll('_', ' ')), h('pre', {}, prettyJson(rest))), 'other');
      }
    }
  }
}

function header(s) {
  const facts = [
    ['Status', statusBadge(s.status)],
    ['Workspace', s.workspace],
    ['Model', s.model],
    ['Agent', s.agent ?? '—'],
    ['Principal', s.principal ?? '—'],
    ['Cost', formatCost(s.cost_usd)],
    ['Tokens', `in ${formatNumber(s.usage?.input_tokens)} · out ${formatNumber(s.usage?.output_tokens)}`],
    ['Started', formatTime(s.started_at)],
  ];
  const pending = s.pending_approvals?.length ?? 0;
  return [
    h('dl', { class: 'facts-list' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    pending > 0 ? h('p', { class: 'notice' }, `${pending} tool call${pending === 1 ? '' : 's'} waiting for approval. `,
      link('/approvals', 'Open approvals')) : null,
  ];
}

/** Draws the page; returns the function that closes the event stream. */
export function render(main, id) {
  const controller = new AbortController();
  const signal = controller.signal;
  const base = '/v1/sessions/' + encodeURIComponent(id);
  const title = h('h1', {}, 'Session ', h('span', { class: 'id' }, id));
  const headerSlot = h('div', { class: 'session-head' });
  const live = h('p', { class: 'live', role: 'status' }, 'Connecting…');
  const actionError = h('div');
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel');
  const list = h('ol', { class: 'log', 'aria-label': 'Session events' });
  const log = new EventLog(list);
  const messageBox = h('textarea', { id: 'send-message', rows: 2, required: true });
  const send = h('button', { type: 'submit' }, 'Send');
  const form = h('form', { class: 'card send' },
    h('label', { for: 'send-message' }, 'Message'), messageBox, h('div', { class: 'actions' }, send));

  main.append(title, headerSlot,
    h('div', { class: 'toolbar' }, cancel, link('/trace/' + encodeURIComponent(id), 'Trace'), live),
    actionError, list, form);

  let status = null;
  const setStatus = (next) => {
    status = next;
    cancel.disabled = TERMINAL.has(status);
  };

  const loadHeader = async () => {
    try {
      const s = await api(base, { signal });
      title.replaceChildren(s.title || 'Session', ' ', h('span', { class: 'id' }, id));
      headerSlot.replaceChildren(...header(s).filter(Boolean));
      setStatus(s.status);
    } catch (error) {
      if (!signal.aborted) showError(headerSlot, error);
    }
  };
  // Events come in bursts (a replayed journal, a finished tool): one request for the header after each burst.
  let refreshTimer = null;
  const refreshHeader = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadHeader, 100);
  };

  cancel.addEventListener('click', async () => {
    showError(actionError, null);
    cancel.disabled = true;
    try {
      await api(base + '/cancel', { method: 'POST', signal });
      refreshHeader();
    } catch (error) {
      if (!signal.aborted) showError(actionError, error);
      cancel.disabled = false;
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(actionError, null);
    send.disabled = true;
    try {
      await api(base + '/messages', { method: 'POST', body: { message: messageBox.value }, signal });
      messageBox.value = '';
    } catch (error) {
      if (!signal.aborted) showError(actionError, error);
    } finally {
      send.disabled = false;
    }
  });

  const follow = async () => {
    let lastSeq = null;
    let delay = 500;
    while (!signal.aborted) {
      try {
        await readEventStream(base + '/events', {
          lastEventId: lastSeq,
          signal,
          onMessage: (message) => {
            if (message.id !== null) {
              const seq = Number(message.id);
              // Resuming after the last id must not show an event twice, even if a server repeats one.
              if (lastSeq !== null && seq <= lastSeq) return;
              lastSeq = seq;
            }
            let event;
            try {
              event = JSON.parse(message.data);
            } catch {
              return;
            }
            event.type ??= message.event;
            live.textContent = 'Live';
            delay = 500;
            log.apply(event);
            if (event.type !== 'text_delta') {
              setStatus(statusAfter(status, event));
              refreshHeader();
            }
          },
        });
        if (!signal.aborted) live.textContent = 'Reconnecting…';
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && [400, 401, 403, 404].includes(error.status)) {
          live.textContent = 'Not connected';
          showError(actionError, error);
          return;
        }
        live.textContent = 'Reconnecting…';
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10000);
    }
  };

  loadHeader();
  follow();
  return () => {
    clearTimeout(refreshTimer);
    controller.abort();
  };
}
