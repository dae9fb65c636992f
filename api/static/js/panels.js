// The KPI panel (the validator's numbers, from solution.kpis) and the unassigned list.

import { html } from "./svg.js";

const GROUPS = { by_priority: "By priority", cost: "Cost (GBP)", week: "Week",
  unassigned_by_rule: "Unassigned by rule", commute_by_mode: "Commute by mode" };
const SKIP = new Set(["per_carer", "per_client"]);  // shown on the timeline and the week grid instead
// Over several days these read as the week's figures: a group of their own.
const WEEK = new Set(["days", "days_worked_mean", "time_spread_median_minutes",
  "distinct_carers_per_client_mean", "distinct_carers_per_client_max", "new_carers_per_client_mean"]);
// Labels that the key's words alone would not make clear.
const LABELS = {
  days: "calendar days",
  days_worked_mean: "days worked, mean per carer",
  time_spread_median_minutes: "time spread of a client's calls, median",
  distinct_carers_per_client_mean: "distinct carers per client, mean",
  distinct_carers_per_client_max: "distinct carers per client, max",
  new_carers_per_client_mean: "new carers per client, mean",
  after_planned_visits: "visits started after the planned time",
  after_planned_minutes_total: "minutes after the planned time, total",
};

// Flatten nested KPI dicts to dotted keys, keeping only scalar leaves.
export function flattenKpis(kpis, prefix = "") {
  const out = [];
  for (const [k, v] of Object.entries(kpis || {})) {
    if (!prefix && SKIP.has(k)) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) out.push(...flattenKpis(v, key));
    else if (!Array.isArray(v)) out.push([key, v]);
  }
  return out;
}

// One decimal as Python's format(x, ".1f") gives it, so the viewer and the terminal report
// agree: toFixed rounds an exact tie (66.25) up, Python to the even digit (66.2).
function oneDecimal(x) {
  const exact = x.toFixed(20);  // a double's ties are exact, and a non-tie is visibly off one
  if (/\.\d50*$/.test(exact) && Number(exact[exact.indexOf(".") + 1]) % 2 === 0) {
    return exact.slice(0, exact.indexOf(".") + 2);
  }
  return x.toFixed(1);
}

// Whole minutes, with hours and minutes beside them from an hour up: "1,234 min (20 h 34)";
// no-break spaces inside each part, so a narrow cell wraps between them only.
export function formatMinutes(v) {
  if (v === null || v === undefined) return "—";
  const m = Math.round(v);
  const text = `${m.toLocaleString("en-GB")}\u00a0min`;
  if (Math.abs(m) < 60) return text;
  const h = Math.floor(Math.abs(m) / 60), mm = String(Math.abs(m) % 60).padStart(2, "0");
  return `${text} (${m < 0 ? "−" : ""}${h}\u00a0h\u00a0${mm})`;
}

function show(key, v) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (/(_share|_rate)$/.test(key)) return `${oneDecimal(v * 100)} %`;
  if (key.split(".").pop().split("_").includes("minutes")) return formatMinutes(v);
  return Number.isInteger(v) ? v.toLocaleString("en-GB") : v.toLocaleString("en-GB", { maximumFractionDigits: 2 });
}

export function renderKpis(container, kpis) {
  container.replaceChildren();
  const week = (kpis && kpis.days) > 1;
  const groups = new Map([["", []]]);
  for (const [key, value] of flattenKpis(kpis)) {
    const top = key.includes(".") ? key.split(".")[0] : week && WEEK.has(key) ? "week" : "";
    if (!groups.has(top)) groups.set(top, []);
    groups.get(top).push([key, value]);
  }
  for (const [group, rows] of groups) {
    if (!rows.length) continue;
    const box = html("div", { class: "kpi-group", "data-group": group || "roster" }, null, container);
    html("h3", {}, group ? GROUPS[group] || group : "Roster", box);
    const table = html("table", {}, null, box);
    for (const [key, value] of rows) {
      const tr = html("tr", {}, null, table);
      const name = key.includes(".") ? key.slice(group.length + 1) : key;
      html("th", { scope: "row" }, LABELS[key] || name.replaceAll("_", " "), tr);
      html("td", { class: "num", "data-kpi": key, "data-value": JSON.stringify(value) }, show(key, value), tr);
    }
  }
}

export function renderUnassigned(container, countEl, problem, solution) {
  container.replaceChildren();
  countEl.textContent = `(${solution.unassigned.length})`;
  if (!solution.unassigned.length) {
    html("p", {}, "Every visit is on the roster.", container);
    return;
  }
  const visits = new Map(problem.visits.map((v) => [v.id, v]));
  const table = html("table", {}, null, container);
  const head = html("tr", {}, null, table);
  for (const h of ["Visit", "Client", "Priority", "Window", "Rule", "Reason"]) html("th", {}, h, head);
  for (const u of solution.unassigned) {
    const v = visits.get(u.visit) || {};
    const tr = html("tr", { "data-visit": u.visit }, null, table);
    html("td", {}, u.visit, tr);
    html("td", {}, v.client || "", tr);
    html("td", {}, v.priority || "", tr);
    html("td", {}, v.window ? `${v.window.start.slice(11, 16)}–${v.window.end.slice(11, 16)}` : "", tr);
    html("td", {}, u.rule || "", tr);
    html("td", {}, u.reason, tr);
  }
}
