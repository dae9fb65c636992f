// The week views, for a roster over several days: the carer × day grid, a client's week, and
// one day's slice of the problem and roster for the timeline and the map. A shift belongs to
// the day it starts, as the KPIs count days worked (a night's visits after midnight included).

import { html, hhmm, minutes, shiftIndex } from "./svg.js";
import { formatMinutes } from "./panels.js";

const dateOf = (iso) => iso.slice(0, 10);
const midnight = (day) => new Date(`${day}T00:00:00Z`);

export const isWeekend = (day) => [0, 6].includes(midnight(day).getUTCDay());

export function dayLabel(day) {
  return midnight(day).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
}

// The calendar days the roster covers: from the first day a visit's window opens on to the
// last, every day between (a day nobody works still has its column).
export function horizonDays(problem) {
  const opens = problem.visits.map((v) => dateOf(v.window.start)).sort();
  const days = [];
  if (!opens.length) return days;
  for (const d = midnight(opens[0]); d <= midnight(opens[opens.length - 1]); d.setUTCDate(d.getUTCDate() + 1)) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

// The day a carer's stop counts on: her shift's first day (the stop's own day outside every shift).
function stopDay(carer, stop) {
  const k = carer ? shiftIndex(carer, stop.start) : -1;
  return dateOf(k >= 0 ? carer.shifts[k].start : stop.start);
}

// carer id -> day -> {visits, first, last, paid}: what she does that day. Paid minutes as the
// KPIs count them: visits (not sleep-ins, paid an allowance) and travel between the visits of
// a shift; the commute from home to a shift's first visit is unpaid.
export function carerDays(problem, solution) {
  const visits = new Map(problem.visits.map((v) => [v.id, v]));
  const carers = new Map(problem.carers.map((c) => [c.id, c]));
  const out = new Map();
  for (const route of solution.routes) {
    const carer = carers.get(route.carer);
    const days = out.get(route.carer) || new Map();
    out.set(route.carer, days);
    let prevShift = null;
    for (const stop of route.stops) {
      const day = stopDay(carer, stop);
      const d = days.get(day) || { visits: 0, first: stop.start, last: stop.end, paid: 0 };
      days.set(day, d);
      const visit = visits.get(stop.visit);
      const shift = carer ? shiftIndex(carer, stop.start) : -1;
      d.visits += 1;
      if (minutes(stop.start) < minutes(d.first)) d.first = stop.start;
      if (minutes(stop.end) > minutes(d.last)) d.last = stop.end;
      d.paid += (visit && visit.kind !== "sleep_in" ? visit.duration_minutes : 0) + (shift === prevShift ? stop.travel_minutes : 0);
      prevShift = shift;
    }
  }
  return out;
}

// The day's part of the problem, the roster and the road lines: the carers' shifts that start
// that day and the stops in them, the visits whose windows open that day left unassigned.
export function daySlice(problem, solution, geojson, day) {
  const carers = new Map(problem.carers.map((c) => [c.id, c]));
  const features = geojson && geojson.features.filter((f) => !(f.properties && f.properties.shift_start)
    || dateOf(f.properties.shift_start) === day);
  const visits = new Map(problem.visits.map((v) => [v.id, v]));
  return {
    problem: { ...problem, carers: problem.carers.map((c) => ({ ...c, shifts: c.shifts.filter((s) => dateOf(s.start) === day) })) },
    solution: {
      ...solution,
      routes: solution.routes.map((r) => ({
        ...r,
        stops: r.stops.filter((s) => stopDay(carers.get(r.carer), s) === day),
        breaks: (r.breaks || []).filter((b) => stopDay(carers.get(r.carer), b) === day),
      })),
      unassigned: solution.unassigned.filter((u) => visits.has(u.visit) && dateOf(visits.get(u.visit).window.start) === day),
    },
    geojson: features ? { ...geojson, features } : null,
  };
}

function paidByWeek(byWeek) {
  return Object.entries(byWeek || {}).sort().map(([monday, m]) => `w/c ${dayLabel(monday).slice(4)}: ${formatMinutes(m)}`);
}

// One row per carer, one column per day, then her week's figures from the KPIs. A working
// day's cell is a button: onPick(carerId, day) shows that day on the timeline.
export function renderWeekGrid(container, problem, solution, days, onPick) {
  container.replaceChildren();
  const worked = carerDays(problem, solution);
  const kpis = solution.kpis.per_carer || {};
  const table = html("table", { class: "week-grid" }, null, container);
  html("caption", {}, "Each carer's days: visits, first start – last end, paid minutes (visits and the travel between them). "
    + "Choose a day to see it on the timeline.", table);
  const head = html("tr", {}, null, html("thead", {}, null, table));
  html("th", { scope: "col" }, "Carer", head);
  for (const day of days) {
    const th = html("th", { scope: "col", "data-day": day, class: isWeekend(day) ? "weekend" : null }, dayLabel(day), head);
    if (isWeekend(day)) html("span", { class: "weekend-mark" }, " weekend", th);
  }
  for (const h of ["Days worked", "Weekend days", "Longest day", "Paid by week"]) html("th", { scope: "col", class: "summary" }, h, head);
  const body = html("tbody", {}, null, table);
  for (const carer of problem.carers) {
    const mine = worked.get(carer.id) || new Map();
    const shifts = new Map();
    for (const s of carer.shifts) shifts.set(dateOf(s.start), [...(shifts.get(dateOf(s.start)) || []), `${hhmm(s.start)}–${hhmm(s.end)}`]);
    const tr = html("tr", { "data-carer": carer.id, class: mine.size ? null : "idle" }, null, body);
    html("th", { scope: "row" }, carer.id, tr);
    for (const day of days) {
      const d = mine.get(day);
      const cls = [isWeekend(day) ? "weekend" : "", d ? "worked" : shifts.has(day) ? "on-shift" : "off"].join(" ").trim();
      const td = html("td", { "data-day": day, "data-visits": d ? d.visits : 0, class: cls }, null, tr);
      if (!d) {
        td.title = shifts.has(day) ? `on shift ${shifts.get(day).join(", ")}, no visits` : "day off";
        continue;
      }
      const when = `${hhmm(d.first)}–${hhmm(d.last)}`;
      const button = html("button", { type: "button", "aria-pressed": "false",
        "aria-label": `${carer.id}, ${dayLabel(day)}: ${d.visits} visits ${when}, ${Math.round(d.paid)} min paid; show on the timeline` }, null, td);
      html("span", { class: "count" }, `${d.visits} visit${d.visits === 1 ? "" : "s"}`, button);
      html("span", {}, when, button);
      html("span", { class: "paid", "data-paid": d.paid }, `${Math.round(d.paid)} min paid`, button);
      button.addEventListener("click", () => onPick(carer.id, day));
    }
    const k = kpis[carer.id] || {};
    html("td", { class: "num", "data-days-worked": k.days_worked ?? 0 }, String(k.days_worked ?? 0), tr);
    html("td", { class: "num", "data-weekend-days": k.weekend_days_worked ?? 0 }, String(k.weekend_days_worked ?? 0), tr);
    html("td", { class: "num" }, k.longest_day_minutes ? formatMinutes(k.longest_day_minutes) : "—", tr);
    const weeks = html("td", { class: "num", "data-paid-by-week": JSON.stringify(k.paid_minutes_by_week || {}) }, null, tr);
    for (const line of paidByWeek(k.paid_minutes_by_week)) html("div", {}, line, weeks);
  }
}

// Marks the chosen cell (and only it) as pressed.
export function pickCell(container, carerId, day) {
  for (const button of container.querySelectorAll("td button")) {
    const td = button.parentElement;
    button.setAttribute("aria-pressed", String(td.dataset.day === day && td.parentElement.dataset.carer === carerId));
  }
}

// A client's visits day by day: time, carer(s), duration; her distinct carers over the
// roster and her time spread (the KPIs' per-client figures).
export function renderClientWeek(container, problem, solution, clientId) {
  container.replaceChildren();
  const carersOf = new Map();
  for (const r of solution.routes) {
    for (const s of r.stops) carersOf.set(s.visit, [...(carersOf.get(s.visit) || []), { carer: r.carer, stop: s }]);
  }
  const unassigned = new Map(solution.unassigned.map((u) => [u.visit, u]));
  const rows = problem.visits.filter((v) => v.client === clientId).map((v) => {
    const placed = carersOf.get(v.id) || [];
    const start = placed.length ? placed[0].stop.start : v.window.start;
    return { visit: v, placed, start, end: placed.length ? placed[0].stop.end : null };
  }).sort((a, b) => minutes(a.start) - minutes(b.start));

  const k = (solution.kpis.per_client || {})[clientId] || {};
  const team = [...new Set(rows.flatMap((r) => r.placed.map((p) => p.carer)))].sort();
  const facts = html("dl", { class: "client-facts" }, null, container);
  const fact = (term, text, attrs = {}) => { html("dt", {}, term, facts); html("dd", attrs, text, facts); };
  fact("Visits placed", `${rows.filter((r) => r.placed.length).length} of ${rows.length}`);
  fact("Distinct carers", `${k.distinct_carers ?? team.length}${team.length ? ` (${team.join(", ")})` : ""}`,
    { "data-distinct-carers": k.distinct_carers ?? team.length, "data-carers": team.join(" ") });
  if (k.familiar_share != null) fact("Familiar share", `${(100 * k.familiar_share).toFixed(1)} %`);
  fact("Time spread", k.time_spread_minutes == null ? "— (no call placed on two days)" : formatMinutes(k.time_spread_minutes),
    { "data-time-spread": JSON.stringify(k.time_spread_minutes ?? null) });

  const table = html("table", { class: "client-week" }, null, container);
  html("caption", {}, `${clientId}'s visits by day`, table);
  const head = html("tr", {}, null, html("thead", {}, null, table));
  for (const h of ["Time", "Window", "Carer(s)", "Duration"]) html("th", { scope: "col" }, h, head);
  let body = null, day = null;
  for (const r of rows) {
    if (dateOf(r.start) !== day) {
      day = dateOf(r.start);
      body = html("tbody", { "data-day": day }, null, table);
      html("th", { scope: "rowgroup", colspan: 4, class: isWeekend(day) ? "weekend" : null }, dayLabel(day), html("tr", {}, null, body));
    }
    const v = r.visit, carers = r.placed.map((p) => p.carer);
    const tr = html("tr", { "data-visit": v.id, "data-day": day, "data-carers": carers.join(" "),
      class: carers.length ? null : "unassigned" }, null, body);
    html("td", { class: "time" }, r.end ? `${hhmm(r.start)}–${hhmm(r.end)}` : "not placed", tr);
    html("td", { class: "time" }, `${hhmm(v.window.start)}–${hhmm(v.window.end)}`, tr);
    html("td", {}, carers.length ? carers.join(", ") : `unassigned${unassigned.has(v.id) ? `: ${unassigned.get(v.id).reason}` : ""}`, tr);
    html("td", { class: "num" }, `${v.duration_minutes} min${v.carers_required === 2 ? " × 2 carers" : ""}`, tr);
  }
  if (!rows.length) html("p", {}, "No visits for this client.", container);
}
