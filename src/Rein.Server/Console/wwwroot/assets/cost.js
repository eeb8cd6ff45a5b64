// Cost by day: an SVG bar chart drawn here, and the same numbers as a table.
import { api } from './api.js';
import { formatCost, formatNumber, h, showError, svg } from './dom.js';

const WIDTH = 720;
const HEIGHT = 260;
const PAD = { top: 16, right: 12, bottom: 48, left: 64 };

function chart(rows) {
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const max = Math.max(...rows.map((r) => Number(r.cost_usd) || 0), 0);
  const scale = max > 0 ? plotHeight / max : 0;
  const slot = plotWidth / Math.max(rows.length, 1);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const labelEvery = Math.ceil(rows.length / 12);
  const total = rows.reduce((sum, r) => sum + (Number(r.cost_usd) || 0), 0);
  const baseline = PAD.top + plotHeight;
  return svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img',
    'aria-label': `Cost by day: ${rows.length} days, ${formatCost(total)} in all, at most ${formatCost(max)} a day`,
  },
  svg('line', { class: 'axis', x1: PAD.left, y1: baseline, x2: WIDTH - PAD.right, y2: baseline }),
  svg('line', { class: 'grid', x1: PAD.left, y1: PAD.top, x2: WIDTH - PAD.right, y2: PAD.top }),
  svg('text', { class: 'tick', x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end' }, formatCost(max)),
  svg('text', { class: 'tick', x: PAD.left - 6, y: baseline + 4, 'text-anchor': 'end' }, '$0'),
  rows.map((row, i) => {
    const value = Number(row.cost_usd) || 0;
    const height = Math.max(value > 0 ? 1 : 0, value * scale);
    const x = PAD.left + i * slot + (slot - barWidth) / 2;
    return svg('g', {},
      svg('rect', { class: 'bar', x, y: baseline - height, width: barWidth, height },
        svg('title', {}, `${row.key}: ${formatCost(value)}, ${formatNumber(row.sessions)} sessions, ${formatNumber(row.model_calls)} model calls`)),
      i % labelEvery === 0
        ? svg('text', { class: 'tick', x: x + barWidth / 2, y: baseline + 16, 'text-anchor': 'middle' }, String(row.key).slice(5))
        : null);
  }));
}

function table(report) {
  const row = (r, header) => h('tr', {},
    header ? h('th', { scope: 'row' }, r.key ?? 'Total') : h('td', {}, r.key),
    h('td', { class: 'num' }, formatNumber(r.sessions)),
    h('td', { class: 'num' }, formatNumber(r.model_calls)),
    h('td', { class: 'num' }, formatNumber(r.input_tokens)),
    h('td', { class: 'num' }, formatNumber(r.output_tokens)),
    h('td', { class: 'num' }, formatCost(r.cost_usd)),
    h('td', { class: 'num' }, formatNumber(r.unpriced_calls)));
  return h('table', { class: 'list' },
    h('caption', {}, 'Cost by day'),
    h('thead', {}, h('tr', {}, ['Day', 'Sessions', 'Model calls', 'Input tokens', 'Output tokens', 'Cost', 'Unpriced calls']
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, report.rows.map((r) => row(r, false))),
    report.total ? h('tfoot', {}, row({ ...report.total, key: 'Total' }, true)) : null);
}

/** Draws the page. */
export function render(main) {
  const controller = new AbortController();
  const since = h('select', { id: 'cost-since' },
    [['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days'], ['', 'All time']]
      .map(([value, text]) => h('option', { value }, text)));
  since.value = '30d';
  const slot = h('div');
  main.append(h('h1', {}, 'Cost'),
    h('div', { class: 'field inline' }, h('label', { for: 'cost-since' }, 'Period'), since),
    slot);
  const load = async () => {
    slot.setAttribute('aria-busy', 'true');
    try {
      const query = new URLSearchParams({ by: 'day' });
      if (since.value) query.set('since', since.value);
      const report = await api('/v1/cost?' + query, { signal: controller.signal });
      const rows = [...(report.rows ?? [])].sort((a, b) => String(a.key).localeCompare(String(b.key)));
      slot.replaceChildren(...(rows.length === 0
        ? [h('p', {}, 'No model calls in this period.')]
        : [chart(rows), table({ ...report, rows })]));
    } catch (error) {
      if (!controller.signal.aborted) showError(slot, error);
    } finally {
      slot.removeAttribute('aria-busy');
    }
  };
  since.addEventListener('change', load);
  load();
  return () => controller.abort();
}
