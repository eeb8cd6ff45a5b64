// DOM helpers. Every piece of data reaches the page as a text node or an attribute value, never as markup:
// model output, tool output and arguments are untrusted.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Creates an HTML element: h('a', { href: '/x', class: 'y' }, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Creates an SVG element. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A link to a console page; the router intercepts it. */
export function link(path, text, attrs) {
  return h('a', { ...attrs, href: path }, text);
}

/** The path of a session's page (ids are URL-encoded; a token never goes in a path). */
export function sessionPath(id) {
  return '/sessions/' + encodeURIComponent(id);
}

/** An error shown to the user: the problem's title and detail, announced to screen readers. */
export function errorBox(error) {
  const title = error?.title ?? 'Something went wrong';
  const detail = error?.detail ?? (error?.title ? '' : String(error?.message ?? error));
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, title), detail ? h('span', {}, ' ' + detail) : null);
}

/** Replaces a slot's content with an error (or nothing for null). */
export function showError(slot, error) {
  slot.replaceChildren(error ? errorBox(error) : '');
}

export function formatCost(usd) {
  if (usd === null || usd === undefined) return '—';
  const value = Number(usd);
  if (value === 0) return '$0';
  return '$' + (value < 0.01 ? value.toPrecision(2) : value.toFixed(value < 1 ? 4 : 2));
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '';
  return ms >= 1000 ? (ms / 1000).toFixed(1) + ' s' : ms + ' ms';
}

export function formatNumber(n) {
  return Number(n ?? 0).toLocaleString();
}

/** A status badge: running, awaiting_approval, completed, stopped… */
export function statusBadge(status) {
  const text = String(status ?? 'unknown');
  return h('span', { class: 'badge status-' + text.replace(/[^a-z_]/g, '') }, text.replaceAll('_', ' '));
}

/** Pretty JSON text for a <pre>. */
export function prettyJson(value) {
  if (value === null || value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** A <pre> of text whose lines starting with + or - are marked as added or removed. */
export function diffBlock(text, label) {
  const pre = h('pre', { class: 'diff', 'aria-label': label ?? 'Diff' });
  for (const line of String(text).split('\n')) {
    let kind = '';
    if (line.startsWith('+++') || line.startsWith('---')) kind = 'file';
    else if (line.startsWith('+')) kind = 'add';
    else if (line.startsWith('-')) kind = 'del';
    else if (line.startsWith('@@')) kind = 'hunk';
    pre.append(h('span', { class: kind ? 'line ' + kind : 'line' }, line + '\n'));
  }
  return pre;
}

/** The diff of an edit_file or write_file call from its arguments, or null for other tools. */
export function diffOfCall(tool, args) {
  if (!args || typeof args !== 'object') return null;
  const lines = (text) => String(text ?? '').replace(/\n$/, '').split('\n');
  if (tool === 'edit_file' && typeof args.old_string === 'string') {
    return [`--- ${args.path}`, `+++ ${args.path}`,
      ...lines(args.old_string).map((l) => '-' + l),
      ...lines(args.new_string).map((l) => '+' + l)].join('\n');
  }
  if (tool === 'write_file' && typeof args.content === 'string') {
    return [`--- ${args.path}`, `+++ ${args.path}`, ...lines(args.content).map((l) => '+' + l)].join('\n');
  }
  return null;
}

/** Waits, or stops early when the signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
