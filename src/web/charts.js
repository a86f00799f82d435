// @ts-check
// Small SVG charts. Every label goes in through textContent, so no data string is ever markup.
const NS = 'http://www.w3.org/2000/svg';
export const COLOURS = ['#1f5fbf', '#d1495b', '#2a9d8f', '#e9a03b', '#7b5ea7', '#5b6475'];

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(width, height) {
  const svg = el('svg', { xmlns: NS, viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' });
  svg.append(el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  return svg;
}

/** A round tick step (1, 2 or 5 × 10^k) giving about four ticks; counts never get fractional ticks. */
function niceStep(max) {
  const raw = Math.max(max, 1) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  return Math.max(step, max <= 4 ? 1 : 0);
}

/**
 * series: [{ name, points: [{ x: year, y }] }]. Counts are zero in a year a series does not
 * list, so every series is drawn over every year from the first to the last.
 */
export function lineChart(series, { width = 560, height = 260, yLabel = '' } = {}) {
  const svg = frame(width, height);
  const m = { l: 48, r: 24, t: 26, b: 28 };
  const listed = series.flatMap((s) => s.points.map((p) => p.x));
  const xs = listed.length === 0 ? [] : Array.from({ length: Math.max(...listed) - Math.min(...listed) + 1 }, (_, i) => Math.min(...listed) + i);
  series = series.map((s) => ({ ...s, points: xs.map((x) => s.points.find((p) => p.x === x) ?? { x, y: 0 }) }));
  const top = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const stepY = niceStep(top);
  const maxY = Math.max(stepY, Math.ceil(top / stepY) * stepY);
  if (xs.length === 0) {
    svg.append(el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'no data for these filters'));
    return svg;
  }
  const x = (v) => m.l + (xs.length === 1 ? (width - m.l - m.r) / 2 : ((v - xs[0]) / (xs.at(-1) - xs[0])) * (width - m.l - m.r));
  const y = (v) => height - m.b - (v / maxY) * (height - m.t - m.b);
  for (let v = 0; v <= maxY + 1e-9; v += stepY) {
    svg.append(el('line', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), stroke: '#eef0f3' }));
    svg.append(el('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)));
  }
  const step = Math.max(1, Math.ceil(xs.length / 12));
  xs.forEach((v, i) => {
    if (i % step === 0) svg.append(el('text', { x: x(v), y: height - 10, 'text-anchor': 'middle' }, v));
  });
  if (yLabel) svg.append(el('text', { x: m.l, y: 12 }, yLabel));
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const colour = COLOURS[i % COLOURS.length];
    svg.append(el('polyline', { points: pts.map((p) => `${x(p.x)},${y(p.y)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    for (const p of pts) {
      const dot = el('circle', { cx: x(p.x), cy: y(p.y), r: 3, fill: colour, 'data-series': s.name, 'data-x': p.x, 'data-y': p.y });
      dot.append(el('title', {}, `${s.name} ${p.x}: ${p.y}`));
      svg.append(dot);
    }
  });
  return svg;
}

/** bars: [{ label, value }] */
export function barChart(bars, { width = 560, barHeight = 20 } = {}) {
  const labelWidth = 250;
  const height = Math.max(40, bars.length * (barHeight + 6) + 10);
  const svg = frame(width, height);
  const max = Math.max(1, ...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const yy = 5 + i * (barHeight + 6);
    svg.append(el('text', { x: labelWidth - 6, y: yy + barHeight * 0.7, 'text-anchor': 'end' }, b.label.length > 40 ? `${b.label.slice(0, 39)}…` : b.label));
    const w = ((width - labelWidth - 50) * b.value) / max;
    svg.append(el('rect', { x: labelWidth, y: yy, width: Math.max(1, w), height: barHeight, fill: COLOURS[0], 'data-label': b.label, 'data-value': b.value }));
    svg.append(el('text', { x: labelWidth + w + 4, y: yy + barHeight * 0.7 }, b.value));
  });
  return svg;
}

/**
 * A two-sided collaboration network: one side's institutions on the left, grouped by country
 * (the clusters), the other side's on the right, edges weighted by co-publications.
 */
// A network node linking to the institution's profile; a listed one ringed in red, its level in the tooltip.
function node(id, name, cx, cy, r, fill, risk) {
  const listed = risk?.state === 'listed';
  const a = el('a', { href: `#/institution/${id}` });
  const circle = el('circle', { cx, cy, r, fill, 'data-node': id, ...(listed ? { stroke: '#b3261e', 'stroke-width': 3, 'data-level': risk.level } : {}) });
  circle.append(el('title', {}, listed ? `${name}: listed, ${risk.level.replace('-', ' ')} (${risk.lists.join('; ')})` : name));
  a.append(circle);
  return a;
}

export function networkChart(pairs, { width = 1100, levels = new Map() } = {}) {
  const left = new Map();
  const right = new Map();
  for (const p of pairs) {
    left.set(p.aId, { name: p.aName, country: p.aCountry ?? '', weight: (left.get(p.aId)?.weight ?? 0) + p.copublications });
    right.set(p.bId, { name: p.bName, weight: (right.get(p.bId)?.weight ?? 0) + p.copublications });
  }
  const order = (m, byCountry) => [...m.entries()].sort((a, b) => (byCountry ? a[1].country.localeCompare(b[1].country) : 0) || b[1].weight - a[1].weight || a[1].name.localeCompare(b[1].name));
  const L = order(left, true);
  const R = order(right, false);
  const row = 14;
  const height = Math.max(L.length, R.length) * row + 40;
  const svg = frame(width, height);
  const lx = 330;
  const rx = width - 330;
  const ly = new Map(L.map(([id], i) => [id, 20 + i * row]));
  const ry = new Map(R.map(([id], i) => [id, 20 + i * row + (((L.length - R.length) * row) / 2) * (R.length < L.length ? 1 : 0)]));
  const max = Math.max(1, ...pairs.map((p) => p.copublications));
  for (const p of pairs) {
    svg.append(el('line', { x1: lx, y1: ly.get(p.aId), x2: rx, y2: ry.get(p.bId), stroke: '#1f5fbf', 'stroke-opacity': 0.25 + 0.6 * (p.copublications / max), 'stroke-width': 0.5 + 3 * (p.copublications / max) }));
  }
  let lastCountry = null;
  for (const [id, n] of L) {
    if (n.country !== lastCountry) {
      svg.append(el('text', { x: 8, y: ly.get(id) + 4, 'font-weight': 700 }, n.country));
      lastCountry = n.country;
    }
    svg.append(node(id, n.name, lx, ly.get(id), 3 + Math.sqrt(n.weight), COLOURS[0], levels.get(id)));
    svg.append(el('text', { x: lx - 10, y: ly.get(id) + 4, 'text-anchor': 'end' }, n.name.length > 42 ? `${n.name.slice(0, 41)}…` : n.name));
  }
  for (const [id, n] of R) {
    svg.append(node(id, n.name, rx, ry.get(id), 3 + Math.sqrt(n.weight), COLOURS[1], levels.get(id)));
    svg.append(el('text', { x: rx + 10, y: ry.get(id) + 4 }, n.name.length > 42 ? `${n.name.slice(0, 41)}…` : n.name));
  }
  return svg;
}
