// Calls to the carerota service; errors carry the server's message.

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export function makeClient(getKey) {
  async function call(method, path, body) {
    const headers = { "X-API-Key": getKey() };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!res.ok) {
      const message = (data && (data.message || (typeof data.detail === "string" ? data.detail : null)))
        || `${res.status} ${res.statusText}`;
      throw new ApiError(res.status, message, res.headers.get("Retry-After"));
    }
    return data;
  }
  return {
    example: () => call("GET", "/v1/example"),
    submit: (problemText, timeLimit) => call("POST", `/v1/jobs?time_limit=${encodeURIComponent(timeLimit)}`, problemText),
    job: (id) => call("GET", `/v1/jobs/${id}`),
    jobs: () => call("GET", "/v1/jobs?limit=50"),
    cancel: (id) => call("POST", `/v1/jobs/${id}/cancel`),
    solution: (id) => call("GET", `/v1/jobs/${id}/solution`),
    problem: (id) => call("GET", `/v1/jobs/${id}/problem`),
    geojson: (id) => call("GET", `/v1/jobs/${id}/geojson`).catch(() => null),
  };
}
