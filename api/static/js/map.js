// Routes on a Web Mercator SVG: plain drawing offline, OpenStreetMap tiles underneath when online.
// Lines follow roads when the server has GeoJSON from the geo package, else straight legs.

import { svg, title, colour, shiftIndex } from "./svg.js";

const TILE = 256;
const TILE_URL = (z, x, y) => `https://tile.openstreetmap.org/${z}/${x}/${y}.png`;

function project(lat, lon, z) {
  const s = TILE * 2 ** z, r = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * s, ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * s];
}

export function renderMap(container, problem, solution, { tiles = false, geojson = null } = {}) {
  container.replaceChildren();
  const points = new Map();
  for (const c of problem.carers) points.set(c.id, c.home);
  for (const c of problem.clients) points.set(c.id, c.location);
  const locs = [...points.values()];
  if (!locs.length) return null;
  const width = Math.max(600, container.clientWidth || 600), height = 520, pad = 20;
  let z = 18;
  const bounds = (zz) => {
    const xy = locs.map((p) => project(p.lat, p.lon, zz));
    const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  let b = bounds(z);
  while (z > 1 && (b[2] - b[0] > width - 2 * pad || b[3] - b[1] > height - 2 * pad)) b = bounds(--z);
  const ox = (b[0] + b[2]) / 2 - width / 2, oy = (b[1] + b[3]) / 2 - height / 2;
  const at = (p) => { const [px, py] = project(p.lat, p.lon, z); return [px - ox, py - oy]; };
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "map" }, container);

  if (tiles) {
    const n = 2 ** z;
    for (let tx = Math.floor(ox / TILE); tx * TILE < ox + width; tx++) {
      for (let ty = Math.floor(oy / TILE); ty * TILE < oy + height; ty++) {
        if (ty < 0 || ty >= n) continue;
        const img = svg("image", { href: TILE_URL(z, ((tx % n) + n) % n, ty), x: tx * TILE - ox, y: ty * TILE - oy, width: TILE, height: TILE }, root);
        img.addEventListener("error", () => img.remove());  // offline: keep the plain drawing
      }
    }
  }

  const visits = new Map(problem.visits.map((v) => [v.id, v]));
  const lines = svg("g", { class: "routes" }, root);
  const byCarer = new Map();
  const roadLines = new Map();
  for (const f of (geojson && geojson.features) || []) {
    const carer = f.properties && f.properties.carer;
    if (carer && f.geometry && f.geometry.type === "LineString") {
      if (!roadLines.has(carer)) roadLines.set(carer, []);
      roadLines.get(carer).push(f.geometry.coordinates);
    }
  }
  for (const route of solution.routes) {
    if (!route.stops.length) continue;
    const carer = problem.carers.find((c) => c.id === route.carer);
    if (!carer) continue;
    const paths = roadLines.get(route.carer) || straightLegs(carer, route, visits, points);
    const d = paths.map((coords) => coords.map(([lon, lat], i) => `${i ? "L" : "M"}${at({ lat, lon }).join(",")}`).join("")).join("");
    const path = svg("path", { d, class: "route", stroke: colour(route.carer), "data-carer": route.carer }, lines);
    title(path, `${route.carer}: ${route.stops.length} visits`);
    byCarer.set(route.carer, path);
  }

  const unassigned = new Set(solution.unassigned.map((u) => visits.get(u.visit)?.client));
  for (const c of problem.clients) {
    const [cx, cy] = at(c.location);
    title(svg("circle", { cx, cy, r: 3.5, class: "client" + (unassigned.has(c.id) ? " unassigned" : ""), "data-client": c.id }, root), c.id);
  }
  for (const c of problem.carers) {
    const [cx, cy] = at(c.home);
    title(svg("rect", { x: cx - 4, y: cy - 4, width: 8, height: 8, class: "home", fill: colour(c.id) }, root), `${c.id} (home, ${c.travel_mode})`);
  }
  return {
    select(carerId) {
      for (const [id, path] of byCarer) path.classList.toggle("dim", carerId !== null && id !== carerId);
    },
  };
}

// [lon, lat] polylines, one per shift: home -> visits -> home.
function straightLegs(carer, route, visits, points) {
  const home = [carer.home.lon, carer.home.lat];
  const runs = new Map();
  for (const stop of route.stops) {
    const k = shiftIndex(carer, stop.start);
    if (!runs.has(k)) runs.set(k, [home]);
    const p = points.get(visits.get(stop.visit)?.client);
    if (p) runs.get(k).push([p.lon, p.lat]);
  }
  return [...runs.values()].map((run) => [...run, home]);
}
