// The roster viewer: pick a problem, solve it through the jobs API, show the roster.

import { makeClient } from "./api.js";
import { renderGantt, selectRow } from "./gantt.js";
import { renderMap } from "./map.js";
import { renderKpis, renderUnassigned } from "./panels.js";
import { dayLabel, daySlice, horizonDays, pickCell, renderClientWeek, renderWeekGrid } from "./week.js";

const $ = (id) => document.getElementById(id);
const keyInput = $("api-key");
keyInput.value = localStorage.getItem("carerota.apiKey") || "";
keyInput.addEventListener("change", () => { localStorage.setItem("carerota.apiKey", keyInput.value.trim()); refreshJobs(); });
const api = makeClient(() => keyInput.value.trim());

const params = new URLSearchParams(location.search);
$("tiles").checked = params.get("tiles") !== "off" && navigator.onLine;

let current = { jobId: null, problem: null, solution: null, geojson: null, map: null };
let polling = null;

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
  $("status").dataset.kind = error ? "error" : "info";
}

function describe(err) {
  if (err.status === 401) return "The API key is missing or not recognised. Create one with: carerota keys create --tenant NAME";
  if (err.status === 429) return `The solve queue is full; try again in ${err.retryAfter || "a few"} s.`;
  return err.message;
}

function showProgress(job) {
  $("progress").hidden = false;
  const p = job.progress || {};
  $("p-state").textContent = job.state + (job.error ? ` — ${job.error}` : "");
  $("p-elapsed").textContent = p.elapsed_seconds != null ? `${p.elapsed_seconds.toFixed(1)} s` : "—";
  $("p-solutions").textContent = p.solutions ?? "—";
  $("p-objective").textContent = p.objective != null ? p.objective.toLocaleString("en-GB", { maximumFractionDigits: 1 }) : "—";
  $("p-unassigned").textContent = p.unassigned ?? "—";
  document.body.dataset.jobState = job.state;
}

async function loadExample() {
  try {
    status("Loading the example…");
    $("problem-text").value = JSON.stringify(await api.example(), null, 1);
    status("Example loaded: press Solve.");
  } catch (err) { status(describe(err), true); }
}

function readFile(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => { $("problem-text").value = reader.result; status(`${file.name} loaded: press Solve.`); };
  reader.readAsText(file);
}

async function solve() {
  const text = $("problem-text").value.trim();
  if (!text) return status("Paste, upload or load a problem first.", true);
  let problem;
  try { problem = JSON.parse(text); } catch (err) { return status(`The problem is not valid JSON: ${err.message}`, true); }
  try {
    const job = await api.submit(text, $("time-limit").value || 10);
    current = { jobId: job.id, problem, solution: null, geojson: null, map: null };
    status(`Job ${job.id.slice(0, 8)} queued.`);
    watch(job);
    refreshJobs();
  } catch (err) { status(describe(err), true); }
}

function watch(job) {
  clearTimeout(polling);
  showProgress(job);
  $("cancel").disabled = !(job.state === "queued" || job.state === "running");
  $("solve").disabled = !$("cancel").disabled;
  if (job.state === "done") return showResult(job.id);
  if (job.state !== "queued" && job.state !== "running") {
    return status(`Job ${job.state}${job.error ? `: ${job.error}` : ""}`, job.state === "failed");
  }
  polling = setTimeout(async () => {
    try { watch(await api.job(job.id)); } catch (err) { status(describe(err), true); polling = setTimeout(() => watch(job), 2000); }
  }, 500);
}

async function cancel() {
  if (!current.jobId) return;
  try { watch(await api.cancel(current.jobId)); } catch (err) { status(describe(err), true); }
}

async function showResult(jobId) {
  try {
    status("Loading the roster…");
    const [solution, problem] = await Promise.all([
      api.solution(jobId), current.problem && current.jobId === jobId ? current.problem : api.problem(jobId),
    ]);
    const geojson = problem.travel && problem.travel.road_network ? await api.geojson(jobId) : null;
    current = { jobId, problem, solution, geojson, map: null };
    render();
    const n = solution.routes.reduce((a, r) => a + (r.stops.length ? 1 : 0), 0);
    status(`Roster ${solution.status}: ${n} carers working, ${solution.unassigned.length} visit(s) unassigned.`);
    document.body.dataset.result = "ready";
  } catch (err) { status(describe(err), true); }
}

// A roster over several days adds the week views; the timeline and the map show one day of it.
let week = { days: [], day: null };
let selected = null;  // the carer picked on the timeline or the week grid

function render() {
  const { problem, solution } = current;
  $("results").hidden = false;
  renderKpis($("kpis"), solution.kpis);
  const days = horizonDays(problem);
  week = { days: days.length > 1 ? days : [], day: days.includes(week.day) ? week.day : days[0] };
  for (const id of ["week-section", "client-section", "day-pick"]) $(id).hidden = !week.days.length;
  if (week.days.length) {
    renderWeekGrid($("week-grid"), problem, solution, week.days, showDay);
    $("day-select").replaceChildren(...week.days.map((d) => new Option(dayLabel(d), d)));
    const clients = problem.clients.map((c) => c.id);
    const chosen = clients.includes($("client-select").value) ? $("client-select").value : clients[0];
    $("client-select").replaceChildren(...clients.map((c) => new Option(c, c)));
    $("client-select").value = chosen || "";
    showClient();
  }
  renderDay();
  renderUnassigned($("unassigned"), $("unassigned-count"), problem, solution);
}

// The timeline and the map: the whole roster of a one-day problem, else the chosen day.
function renderDay() {
  const view = week.days.length ? daySlice(current.problem, current.solution, current.geojson, week.day) : current;
  $("timeline-day").textContent = week.days.length ? `— ${dayLabel(week.day)}` : "";
  if (week.days.length) $("day-select").value = week.day;
  $("timeline").dataset.day = week.days.length ? week.day : "";
  renderGantt($("timeline"), view.problem, view.solution, select);
  current.map = renderMap($("map"), view.problem, view.solution, { tiles: $("tiles").checked, geojson: view.geojson });
  highlight();
}

// A cell of the week grid: that carer's day on the timeline.
function showDay(carerId, day) {
  week.day = day;
  selected = carerId;
  renderDay();
  $("timeline-section").scrollIntoView({ block: "nearest" });
}

function showClient() {
  renderClientWeek($("client-week"), current.problem, current.solution, $("client-select").value);
}

function select(carerId) {
  selected = selected === carerId ? null : carerId;
  highlight();
}

function highlight() {
  selectRow($("timeline"), selected);
  if (current.map) current.map.select(selected);
  if (week.days.length) pickCell($("week-grid"), selected, week.day);
}

async function refreshJobs() {
  if (!keyInput.value.trim()) return;
  try {
    const { jobs } = await api.jobs();
    const sel = $("past-jobs");
    sel.replaceChildren(new Option("—", ""));
    for (const j of jobs) {
      sel.add(new Option(`${j.created_at.slice(0, 16).replace("T", " ")} · ${j.problem_id} · ${j.visits} visits · ${j.state}`, j.id));
    }
  } catch (err) { status(describe(err), true); }
}

async function pickJob() {
  const id = $("past-jobs").value;
  if (!id) return;
  try {
    const [job, problem] = await Promise.all([api.job(id), api.problem(id)]);
    current = { jobId: id, problem, solution: null, geojson: null, map: null };
    $("problem-text").value = JSON.stringify(problem, null, 1);
    watch(job);
  } catch (err) { status(describe(err), true); }
}

$("load-example").addEventListener("click", loadExample);
$("upload").addEventListener("change", readFile);
$("solve").addEventListener("click", solve);
$("cancel").addEventListener("click", cancel);
$("refresh-jobs").addEventListener("click", refreshJobs);
$("past-jobs").addEventListener("change", pickJob);
$("tiles").addEventListener("change", () => { if (current.solution) render(); });
$("day-select").addEventListener("change", () => { week.day = $("day-select").value; renderDay(); });
$("client-select").addEventListener("change", showClient);
refreshJobs();
