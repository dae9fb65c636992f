// Tiny helpers for building SVG and HTML without a framework.

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  if (parent) parent.appendChild(el);
  return el;
}

export function html(tag, attrs = {}, text = null, parent = null) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

export function title(el, text) {
  svg("title", {}, el).textContent = text;
  return el;
}

export const minutes = (iso) => Date.parse(iso + (iso.endsWith("Z") ? "" : "Z")) / 60000;
export const hhmm = (iso) => iso.slice(11, 16);

// The index of the carer's shift that holds the time (-1 when none does).
export function shiftIndex(carer, iso) {
  const t = minutes(iso);
  return carer.shifts.findIndex((s) => minutes(s.start) <= t && t <= minutes(s.end));
}

// A distinct, stable colour per carer: golden-angle hues in order of first use.
const colours = new Map();
export function colour(id) {
  if (!colours.has(id)) {
    const n = colours.size;
    colours.set(id, `hsl(${((n * 137.508) % 360).toFixed(0)} 70% ${n % 2 ? 36 : 46}%)`);
  }
  return colours.get(id);
}
