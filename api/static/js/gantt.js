// The timeline: one row per carer with shifts, commute, travel, waiting, visits and breaks.

import { svg, title, minutes, hhmm, shiftIndex } from "./svg.js";

const ROW = 22, LABEL = 130, TOP = 20;

export function renderGantt(container, problem, solution, onSelect) {
  container.replaceChildren();
  const visits = new Map(problem.visits.map((v) => [v.id, v]));
  const routes = new Map(solution.routes.map((r) => [r.carer, r]));
  const times = problem.carers.flatMap((c) => c.shifts.flatMap((s) => [minutes(s.start), minutes(s.end)]));
  for (const r of solution.routes) for (const s of r.stops) times.push(minutes(s.arrival) - s.travel_minutes, minutes(s.end));
  if (!times.length) return;
  const t0 = Math.floor(Math.min(...times) / 60) * 60, t1 = Math.ceil(Math.max(...times) / 60) * 60;
  const width = Math.max(900, container.clientWidth || 900), plot = width - LABEL - 10;
  const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * plot;
  const root = svg("svg", { width, height: TOP + ROW * problem.carers.length + 4, class: "gantt" }, container);

  for (let t = t0; t <= t1; t += 60) {
    svg("line", { x1: x(t), x2: x(t), y1: TOP - 4, y2: TOP + ROW * problem.carers.length, class: "hour" }, root);
    const d = new Date(t * 60000);
    svg("text", { x: x(t) + 2, y: 12 }, root).textContent = `${String(d.getUTCHours()).padStart(2, "0")}:00`;
  }

  problem.carers.forEach((carer, i) => {
    const route = routes.get(carer.id) || { stops: [], breaks: [] };
    const y = TOP + i * ROW;
    const row = svg("g", {
      class: "gantt-row" + (route.stops.length ? "" : " idle"),
      "data-carer": carer.id, "data-visits": route.stops.length,
    }, root);
    const label = svg("text", { x: 4, y: y + 15, class: "label" }, row);
    label.textContent = `${carer.id} (${route.stops.length})`;
    const k = (solution.kpis.per_carer || {})[carer.id];
    const m = (v) => (v == null ? "—" : `${Math.round(v)} min`);
    title(label, `${carer.id} · ${carer.travel_mode}` + (k
      ? `\npaid ${m(k.paid_minutes)} (contracted ${m(k.contracted_minutes)}, cap ${m(k.max_work_minutes)})`
        + `\ntravel ${m(k.travel_minutes)}, commute ${m(k.commute_minutes)}, waiting ${m(k.waiting_minutes)}`
      : ""));
    label.addEventListener("click", () => onSelect && onSelect(carer.id));
    for (const s of carer.shifts) {
      title(svg("rect", { x: x(minutes(s.start)), y: y + 2, width: x(minutes(s.end)) - x(minutes(s.start)), height: ROW - 4, class: "shift" }, row),
        `shift ${hhmm(s.start)}–${hhmm(s.end)}`);
    }
    let prevShift = null;
    for (const stop of route.stops) {
      const visit = visits.get(stop.visit) || {};
      const shift = shiftIndex(carer, stop.start);
      const commute = shift !== prevShift;  // first stop of a shift: unpaid travel from home
      prevShift = shift;
      const arrive = minutes(stop.arrival), start = minutes(stop.start), end = minutes(stop.end);
      if (stop.travel_minutes > 0) {
        title(svg("rect", { x: x(arrive - stop.travel_minutes), y: y + 8, width: x(arrive) - x(arrive - stop.travel_minutes), height: 6,
          class: commute ? "commute" : "travel" }, row), `${commute ? "commute" : "travel"} ${stop.travel_minutes.toFixed(0)} min, ${stop.travel_km.toFixed(1)} km`);
      }
      if (start > arrive) {
        title(svg("rect", { x: x(arrive), y: y + 8, width: x(start) - x(arrive), height: 6, class: "wait" }, row), `waiting ${(start - arrive).toFixed(0)} min`);
      }
      const late = visit.window && stop.start > visit.window.end;
      const cls = "visit" + (visit.carers_required === 2 ? " double" : "") + (late ? " late" : "");
      const rect = svg("rect", { x: x(start), y: y + 3, width: Math.max(1, x(end) - x(start)), height: ROW - 6, class: cls,
        "data-visit": stop.visit }, row);
      title(rect, `${stop.visit} · ${visit.client || ""} · ${hhmm(stop.start)}–${hhmm(stop.end)}`
        + (visit.carers_required === 2 ? " · double-up" : "") + (visit.priority ? ` · ${visit.priority}` : ""));
    }
    for (const b of route.breaks || []) {
      title(svg("rect", { x: x(minutes(b.start)), y: y + 1, width: Math.max(2, x(minutes(b.end)) - x(minutes(b.start))), height: ROW - 2, class: "break" }, row),
        `break ${hhmm(b.start)}–${hhmm(b.end)}`);
    }
  });
}

export function selectRow(container, carerId) {
  for (const row of container.querySelectorAll(".gantt-row")) {
    row.classList.toggle("selected", row.dataset.carer === carerId);
  }
}
