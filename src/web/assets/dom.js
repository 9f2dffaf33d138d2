// dom.js: builds DOM nodes without ever parsing HTML. Every string becomes a
// text node or an attribute value, so attacker-controlled text (vulnerability
// descriptions, image labels, tags) is always shown as text, never run.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'href' && !/^(#|\/(?!\/)|https?:\/\/)/i.test(String(v))) continue; // no javascript:, data: or //host URLs
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function mount(parent, ...children) {
  parent.replaceChildren();
  return build(parent, null, children);
}

export function num(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

export function when(t) {
  if (!t) return '–';
  const d = new Date(t);
  return isNaN(d) ? String(t) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

export function ago(t) {
  if (!t) return '–';
  const s = (Date.now() - new Date(t).getTime()) / 1000;
  if (s < 90) return 'just now';
  if (s < 5400) return Math.round(s / 60) + ' minutes ago';
  if (s < 129600) return Math.round(s / 3600) + ' hours ago';
  return Math.round(s / 86400) + ' days ago';
}

export function short(digest) {
  return digest ? String(digest).replace(/^sha256:/, '').slice(0, 12) : '–';
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];

export function sevBadge(sev) {
  const k = String(sev || 'unknown').toLowerCase();
  return h('span', { class: 'sev sev-' + (SEVERITIES.includes(k) ? k : 'unknown') }, sev || 'Unknown');
}

export function statusBadge(st, reason) {
  const k = st === 'Healthy' ? 'ok' : st === 'Unhealthy' ? 'bad' : 'na';
  const label = st === 'NotAssessed' ? 'Not assessed' : st || '–';
  return h('span', { class: 'status status-' + k, title: reason || null }, label);
}

export function table(head, rows, opts = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: opts.class || null },
      opts.caption ? h('caption', null, opts.caption) : null,
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.length ? rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))
        : h('tr', null, h('td', { colspan: head.length, class: 'muted' }, opts.empty || 'Nothing here.')))));
}

export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'small' }, label);
  b.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(text); b.textContent = 'Copied'; } catch { b.textContent = 'Select and copy'; }
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}
