// @ts-check
// Small SVG charts. Every label goes in through textContent, so no data string is ever markup.
const NS = 'http://www.w3.org/2000/svg';
export const COLOURS = ['#1f5fbf', '#d1495b', '#2a9d8f', '#e9a03b', '#7b5ea7', '#5b6475'];

/**
 * One colour per region and per region pair, the same in every chart and legend: blue is always
 * EU27/AC and never a pair, so a reader who learnt a colour on one chart can read it on the next.
 */
const SERIES_COLOURS = { EU27AC: '#1f5fbf', CN: '#d1495b', US: '#2a9d8f', 'EU27AC–CN': '#7b5ea7', 'US–CN': '#e9a03b', 'EU27AC–US': '#5b6475' };

/** A series' colour: its own where it has one, else the palette's by position. */
export const seriesColour = (/** @type {string} */ name, /** @type {number} */ i) => /** @type {Record<string, string>} */ (SERIES_COLOURS)[name] ?? COLOURS[i % COLOURS.length];

// Bidirectional controls (embeddings, overrides, isolates, marks) in a name would reorder the text
// around it, so derisk's own words could read backwards or one institution's name as another's.
const BIDI_CONTROLS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Text from outside as it is shown: each bidirectional control is a visible marker ("⟨U+202E⟩") that reorders nothing. */
export const shownText = (/** @type {unknown} */ text) => String(text).replace(BIDI_CONTROLS, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase()}⟩`);

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = shownText(text);
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

/** Charts are drawn about as wide as they are shown, so that their text stays legible on a phone. */
function shownWidth() {
  return typeof window !== 'undefined' && window.innerWidth < 640 ? 340 : 560;
}

/**
 * series: [{ name, points: [{ x: year, y }] }]. Counts are zero in a year a series does not
 * list, so every series is drawn over every year from the first to the last.
 */
export function lineChart(series, { width = shownWidth(), height = 260, yLabel = '' } = {}) {
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
    const colour = seriesColour(s.name, i);
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
export function barChart(bars, { width = shownWidth(), barHeight = 20, colour = COLOURS[0] } = {}) {
  const labelWidth = Math.round(width * 0.45);
  const labelChars = width < 400 ? 24 : 40;
  const height = Math.max(40, bars.length * (barHeight + 6) + 10);
  const svg = frame(width, height);
  const max = Math.max(1, ...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const yy = 5 + i * (barHeight + 6);
    svg.append(el('text', { x: labelWidth - 6, y: yy + barHeight * 0.7, 'text-anchor': 'end' }, b.label.length > labelChars ? `${b.label.slice(0, labelChars - 1)}…` : b.label));
    const w = ((width - labelWidth - 50) * b.value) / max;
    svg.append(el('rect', { x: labelWidth, y: yy, width: Math.max(1, w), height: barHeight, fill: colour, 'data-label': b.label, 'data-value': b.value }));
    svg.append(el('text', { x: labelWidth + w + 4, y: yy + barHeight * 0.7 }, b.value));
  });
  return svg;
}

// Cluster colours, apart from the series colours above so that a colour keeps one meaning per chart kind.
export const CLUSTER_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#86bcb6', '#d37295'];
const OTHER_CLUSTER = '#b8bec9';
const LEVEL_RANK = { low: 1, medium: 2, high: 3, 'very-high': 4 };

/**
 * The collaboration network's nodes and links from the strongest institution pairs: each side's
 * institutions, their co-publication weight, their community (label propagation over the
 * weighted links, in a fixed order, so a view drawn twice is the same) and a force layout
 * (Fruchterman–Reingold from fixed starting places) in a width × height box.
 */
export function networkLayout(pairs, { width = 1000, height = 640 } = {}) {
  const nodes = new Map();
  const add = (id, name, country, side, w) => {
    const n = nodes.get(id) ?? { id, name, country: country ?? '', side, weight: 0, links: [] };
    n.weight += w;
    nodes.set(id, n);
    return n;
  };
  const links = pairs.map((p) => {
    const a = add(p.aId, p.aName, p.aCountry, 'a', p.copublications);
    const b = add(p.bId, p.bName, p.bCountry ?? 'CN', 'b', p.copublications);
    const link = { a, b, weight: p.copublications };
    a.links.push(link);
    b.links.push(link);
    return link;
  });
  const list = [...nodes.values()].sort((x, y) => y.weight - x.weight || x.id.localeCompare(y.id));
  list.forEach((n, i) => {
    n.community = i;
  });
  for (let round = 0; round < 20; round++) {
    let changed = false;
    for (const n of list) {
      const votes = new Map();
      for (const l of n.links) {
        const other = l.a === n ? l.b : l.a;
        votes.set(other.community, (votes.get(other.community) ?? 0) + l.weight);
      }
      let best = n.community;
      let bestVote = votes.get(n.community) ?? 0;
      for (const [c, v] of votes) if (v > bestVote || (v === bestVote && c < best)) [best, bestVote] = [c, v];
      if (best !== n.community) [n.community, changed] = [best, true];
    }
    if (!changed) break;
  }
  // Communities numbered by size, the largest first: the colours follow the legend's order.
  const sizes = new Map();
  for (const n of list) sizes.set(n.community, (sizes.get(n.community) ?? 0) + n.weight);
  const rank = new Map([...sizes.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([c], i) => [c, i]));
  for (const n of list) n.community = rank.get(n.community);
  // Fixed starting places on a spiral, heaviest in the middle.
  list.forEach((n, i) => {
    const angle = i * 2.399963;
    const radius = Math.sqrt(i + 1) * 12;
    n.x = width / 2 + radius * Math.cos(angle);
    n.y = height / 2 + radius * Math.sin(angle);
  });
  // Forces scaled to the node count and the area, a pull towards the centre that keeps hubs'
  // satellites and unlinked components from drifting to the edges, and a cooling step: nothing is
  // clamped while the layout settles (clamping stacked the nodes along the frame), the drawing is
  // fitted to the box afterwards.
  const k = Math.sqrt((width * height) / Math.max(1, list.length)) * 0.6;
  // n nodes repelling each other at k settle where the pull equals their push: about within half the box.
  const gravity = (list.length * k * k) / (Math.min(width, height) / 2) ** 2;
  const maxW = Math.max(1, ...links.map((l) => l.weight));
  const steps = 300;
  for (let step = 0; step < steps; step++) {
    const t = (width / 10) * (1 - step / steps) + 0.5;
    for (const n of list) [n.dx, n.dy] = [(width / 2 - n.x) * gravity, (height / 2 - n.y) * gravity];
    for (let i = 0; i < list.length; i++) {
      const u = list[i];
      for (let j = i + 1; j < list.length; j++) {
        const v = list[j];
        const dx = u.x - v.x || 0.01;
        const dy = u.y - v.y || 0.01;
        const d2 = dx * dx + dy * dy;
        const f = (k * k) / d2;
        u.dx += dx * f;
        u.dy += dy * f;
        v.dx -= dx * f;
        v.dy -= dy * f;
      }
    }
    for (const l of links) {
      const dx = l.a.x - l.b.x;
      const dy = l.a.y - l.b.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
      const f = (d / k) * (0.5 + l.weight / maxW);
      l.a.dx -= dx * f;
      l.a.dy -= dy * f;
      l.b.dx += dx * f;
      l.b.dy += dy * f;
    }
    for (const n of list) {
      const d = Math.sqrt(n.dx * n.dx + n.dy * n.dy) || 1;
      n.x += (n.dx / d) * Math.min(d, t);
      n.y += (n.dy / d) * Math.min(d, t);
    }
  }
  // Fitted to the box; the names are written beside the nodes away from the nearer edge (a force
  // layout pushes the ends of a chain against the edges, where their names were cut off).
  const fit = (key, from, to) => {
    const lo = Math.min(...list.map((n) => n[key]));
    const hi = Math.max(...list.map((n) => n[key]));
    for (const n of list) n[key] = hi > lo ? from + ((n[key] - lo) / (hi - lo)) * (to - from) : (from + to) / 2;
  };
  if (list.length) {
    fit('x', 30, width - 30);
    fit('y', 30, height - 30);
  }
  return { nodes: list, links, width, height };
}

/** A node's level as a number for the level filter: 0 on no list, ½ ambiguous, 1–4 low to very high. */
export const levelRank = (risk) => (risk?.state === 'listed' ? (LEVEL_RANK[risk.level] ?? 1) : risk?.state === 'ambiguous' ? 0.5 : 0);

/** The cluster a node is coloured by: its community, or its country; past the palette, grey. */
export function clusterOf(layout, colourBy) {
  if (colourBy === 'community') return (n) => ({ key: `cluster ${n.community + 1}`, colour: CLUSTER_COLOURS[n.community] ?? OTHER_CLUSTER });
  const weights = new Map();
  for (const n of layout.nodes) weights.set(n.country, (weights.get(n.country) ?? 0) + n.weight);
  const order = [...weights.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([c]) => c);
  return (n) => ({ key: n.country || 'country unknown', colour: CLUSTER_COLOURS[order.indexOf(n.country)] ?? OTHER_CLUSTER });
}

/**
 * The network drawn: links (each to its works), nodes sized by co-publications and coloured by
 * cluster, a listed node ringed in red (dashed for an ambiguous one), the heaviest nodes named.
 * Everything sits in one group, which zooming and panning transform.
 */
export function networkChart(layout, { levels = new Map(), cluster, worksOf, labels = 30 }) {
  const svg = frame(layout.width, layout.height);
  const g = el('g', { 'data-testid': 'network-view' });
  svg.append(g);
  const maxW = Math.max(1, ...layout.links.map((l) => l.weight));
  for (const l of layout.links) {
    const a = el('a', { href: worksOf(l.a.id, l.b.id), 'data-link': `${l.a.id} ${l.b.id}` });
    a.append(el('line', { x1: l.a.x, y1: l.a.y, x2: l.b.x, y2: l.b.y, stroke: '#5b6475', 'stroke-opacity': 0.2 + 0.5 * (l.weight / maxW), 'stroke-width': 0.6 + 3 * (l.weight / maxW) }));
    // A wider, invisible stroke: a thin link is easy to hover and to tap.
    a.append(el('line', { x1: l.a.x, y1: l.a.y, x2: l.b.x, y2: l.b.y, stroke: 'transparent', 'stroke-width': 8, class: 'hit' }));
    g.append(a);
  }
  const heaviest = new Set(layout.nodes.slice(0, labels).map((n) => n.id));
  for (const n of layout.nodes) {
    const risk = levels.get(n.id);
    const { colour } = cluster(n);
    const ring = risk?.state === 'listed' ? { stroke: '#b3261e', 'stroke-width': 3, 'data-level': risk.level } : risk?.state === 'ambiguous' ? { stroke: '#6b4fa3', 'stroke-width': 2, 'stroke-dasharray': '3 2', 'data-level': 'ambiguous' } : { stroke: '#ffffff', 'stroke-width': 1 };
    const a = el('a', { href: worksOf(n.id), 'data-node-link': n.id });
    const circle = el('circle', { cx: n.x, cy: n.y, r: 3 + 2 * Math.sqrt(n.weight), fill: colour, 'data-node': n.id, 'data-side': n.side, ...ring });
    circle.append(el('title', {}, risk?.state === 'listed' ? `${n.name}: listed, ${risk.level.replace('-', ' ')} (${risk.lists.join('; ')})` : n.name));
    a.append(circle);
    g.append(a);
    // A name reads away from the nearer edge: to the right in the left half, to the left in the right half, so that a narrow screen does not cut it off.
    const gap = 6 + 2 * Math.sqrt(n.weight);
    const leftward = n.x > layout.width / 2;
    if (heaviest.has(n.id)) g.append(el('text', { x: leftward ? n.x - gap : n.x + gap, y: n.y + 4, 'text-anchor': leftward ? 'end' : 'start', 'data-label': n.id, class: 'node-label' }, n.name.length > 36 ? `${n.name.slice(0, 35)}…` : n.name));
  }
  return svg;
}
