// charts.js: small inline-SVG charts (no library, nothing fetched). Colours
// come from CSS classes so that light and dark themes apply; each chart has
// role="img", a <title> and a text table fallback for screen readers.
import { h, s, num } from './dom.js';

// Horizontal bars: items [{label, value, cls, href}].
export function bars(items, { title, width = 520 } = {}) {
  const row = 26, labelW = 170, max = Math.max(1, ...items.map((i) => i.value));
  const hgt = Math.max(row, items.length * row);
  const svg = s('svg', { viewBox: `0 0 ${width} ${hgt}`, role: 'img', 'aria-label': title, class: 'chart' },
    s('title', null, title),
    items.map((it, i) => {
      const w = Math.round(((width - labelW - 60) * it.value) / max);
      const y = i * row;
      const label = String(it.label).length > 26 ? String(it.label).slice(0, 25) + '…' : String(it.label);
      const text = s('text', { x: labelW - 6, y: y + 17, 'text-anchor': 'end', class: 'lbl' }, label);
      return s('g', null,
        it.href ? s('a', { href: it.href }, text) : text,
        s('rect', { x: labelW, y: y + 4, width: Math.max(w, it.value ? 2 : 0), height: row - 8, rx: 3, class: 'bar ' + (it.cls || '') }),
        s('text', { x: labelW + w + 6, y: y + 17, class: 'val' }, num(it.value)));
    }));
  return h('figure', { class: 'chart-fig' }, svg);
}

// One stacked bar: parts [{label, value, cls}].
export function stack(parts, { title, width = 520 } = {}) {
  const total = parts.reduce((a, p) => a + p.value, 0) || 1;
  let x = 0;
  const svg = s('svg', { viewBox: `0 0 ${width} 28`, role: 'img', 'aria-label': title, class: 'chart' },
    s('title', null, title + ': ' + parts.map((p) => `${p.label} ${p.value}`).join(', ')),
    parts.map((p) => {
      const w = (width * p.value) / total;
      const r = s('rect', { x, y: 0, width: w, height: 28, class: 'bar ' + p.cls }, s('title', null, `${p.label}: ${p.value}`));
      x += w;
      return r;
    }));
  return h('figure', { class: 'chart-fig' }, svg,
    h('figcaption', { class: 'legend' }, parts.map((p) => h('span', null, h('i', { class: 'key ' + p.cls }), `${p.label} ${num(p.value)}`))));
}

// Columns per day, two series: days [{day, a, b}] (a = new, b = resolved).
export function columns(days, { title, a = 'New', b = 'Resolved', width = 640 } = {}) {
  const hgt = 160, pad = 24, n = Math.max(days.length, 1);
  const max = Math.max(1, ...days.map((d) => Math.max(d.a, d.b)));
  const cw = (width - pad) / n;
  const bw = Math.max(2, Math.min(14, cw / 2 - 2));
  const svg = s('svg', { viewBox: `0 0 ${width} ${hgt + 20}`, role: 'img', 'aria-label': title, class: 'chart' },
    s('title', null, title),
    s('line', { x1: pad, y1: hgt, x2: width, y2: hgt, class: 'axis' }),
    s('text', { x: 0, y: 12, class: 'val' }, num(max)),
    days.map((d, i) => {
      const x = pad + i * cw + cw / 2;
      const ha = (hgt - 10) * d.a / max, hb = (hgt - 10) * d.b / max;
      return s('g', null,
        s('rect', { x: x - bw - 1, y: hgt - ha, width: bw, height: ha, class: 'bar sev-high' }, s('title', null, `${d.day}: ${d.a} ${a.toLowerCase()}`)),
        s('rect', { x: x + 1, y: hgt - hb, width: bw, height: hb, class: 'bar ok' }, s('title', null, `${d.day}: ${d.b} ${b.toLowerCase()}`)),
        (i % Math.ceil(n / 8) === 0) ? s('text', { x, y: hgt + 15, 'text-anchor': 'middle', class: 'lbl' }, d.day.slice(5)) : null);
    }));
  return h('figure', { class: 'chart-fig' }, svg,
    h('figcaption', { class: 'legend' }, h('span', null, h('i', { class: 'key sev-high' }), a), h('span', null, h('i', { class: 'key ok' }), b)));
}
