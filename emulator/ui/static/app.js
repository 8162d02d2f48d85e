// gemini-batch-emulator dashboard: live regions by short polling, and actions through the control plane.
// Hand-written, no dependencies, no build step. Markup comes from the server, already escaped; this
// script never builds HTML from data (messages are set with textContent).
"use strict";

(() => {
  const body = document.body;
  const base = body.dataset.base; // e.g. /_emulator/ui
  const control = body.dataset.control; // e.g. /_emulator
  const ACTIVE_MS = 500; // while a batch is moving
  const IDLE_MS = 3000; // when nothing is
  const HEADERS = { "x-emulator-ui": "1" };

  // Opened with ?token=<control token>: the server keeps it in a cookie; take it out of the address bar.
  const opened = new URL(location.href);
  if (opened.searchParams.has("token")) {
    opened.searchParams.delete("token");
    history.replaceState(null, "", opened);
  }

  // --- live regions ----------------------------------------------------------------------------
  const regions = Array.from(document.querySelectorAll("[data-live]"));
  const seen = new Map();
  let timer = 0;
  let busy = false;
  let again = false;
  let leaving = false; // an action is taking us to another page: stop updating this one

  function liveUrl(name) {
    const url = new URL(location.href);
    url.hash = "";
    url.pathname = base + "/live" + url.pathname.slice(base.length);
    url.searchParams.set("region", name);
    return url;
  }

  function swap(region, html) {
    const active = document.activeElement;
    const focusId = active && region.contains(active) && active !== region ? active.id : null;
    const open = Array.from(region.querySelectorAll("details[open][id]"), (d) => d.id);
    region.innerHTML = html; // server-rendered and escaped; CSP forbids inline script anyway
    for (const id of open) {
      const details = document.getElementById(id);
      if (details) details.open = true;
    }
    if (focusId) {
      const again = document.getElementById(focusId);
      (again || region).focus({ preventScroll: true });
    }
    region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
  }

  async function refresh(region) {
    const response = await fetch(liveUrl(region.dataset.live), { headers: HEADERS, cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    if (response.headers.get("x-live") === "gone") {
      if (!leaving) location.reload(); // what it showed was deleted elsewhere: say so
      return false;
    }
    const html = await response.text();
    if (seen.get(region) !== html) {
      seen.set(region, html);
      swap(region, html);
    }
    return response.headers.get("x-live") === "active";
  }

  async function tick() {
    clearTimeout(timer);
    if (document.hidden || leaving) return;
    if (busy) {
      again = true; // an action changed something while a poll was out: poll again when it is back
      return;
    }
    busy = true;
    let active = false;
    try {
      const results = await Promise.all(regions.map(refresh));
      active = results.some(Boolean);
      document.getElementById("stale").hidden = true;
    } catch (error) {
      document.getElementById("stale").hidden = false;
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      tick();
      return;
    }
    timer = setTimeout(tick, active ? ACTIVE_MS : IDLE_MS);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) tick();
  });

  // --- messages ----------------------------------------------------------------------------------
  let toastTimer = 0;
  function say(text, isError = false) {
    const toast = document.getElementById("toast");
    toast.textContent = text;
    toast.classList.toggle("error", isError);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.textContent = ""; }, isError ? 10000 : 4000);
  }

  async function call(method, path, payload, extra = {}) {
    const init = { method, headers: { ...HEADERS }, ...extra };
    if (payload !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(path, init);
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    if (!response.ok) {
      const message = answer && answer.error ? `${answer.error.status}: ${answer.error.message}` : `HTTP ${response.status}`;
      throw new Error(message);
    }
    return answer;
  }

  // --- actions -------------------------------------------------------------------------------------
  function fields(form) {
    const out = {};
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") out[name] = value.trim();
    }
    return out;
  }

  function withKey(payload, values) {
    if (values.apiKey) payload.apiKey = values.apiKey;
    return payload;
  }

  const batchPath = (id, verb) => `${base}/api/batches/${encodeURIComponent(id)}:${verb}`;

  const ACTIONS = {
    cancel: async (el) => {
      await call("POST", batchPath(el.dataset.batch, "cancel"));
      return "Batch cancelled.";
    },
    delete: async (el) => {
      await call("POST", batchPath(el.dataset.batch, "delete"));
      return "Batch deleted.";
    },
    force: async (el, values) => {
      await call("POST", `${control}/batches/${encodeURIComponent(el.dataset.batch)}:force`, { state: values.state });
      return `Batch forced to ${values.state}.`;
    },
    advance: async (el, values) => {
      const payload = el.dataset.seconds
        ? { seconds: Number(el.dataset.seconds) }
        : withKey({ [values.unit || "seconds"]: Number(values.amount) }, values);
      const answer = await call("POST", `${control}/clock:advance`, payload);
      return `The clock is now ${answer.now}.`;
    },
    "set-time": async (el, values) => {
      const answer = await call("POST", `${control}/clock:set`, withKey({ time: values.time }, values));
      return `The clock is now ${answer.now}.`;
    },
    "add-fault": async (el, values) => {
      let rule;
      try {
        rule = JSON.parse(values.rule || "{}");
      } catch (error) {
        throw new Error(`The rule is not valid JSON: ${error.message}`);
      }
      const answer = await call("POST", `${control}/faults`, withKey({ ...rule, kind: values.kind }, values));
      return `Added rule ${answer.added.join(", ")}.`;
    },
    "remove-fault": async (el) => {
      await call("DELETE", `${control}/faults/${encodeURIComponent(el.dataset.rule)}`);
      return `Removed rule ${el.dataset.rule}.`;
    },
    "clear-faults": async () => {
      await call("DELETE", `${control}/faults`);
      return "Fault rules cleared.";
    },
    configure: async (el, values) => {
      const latency = {};
      for (const name of ["queue_delay", "request_latency", "batch_overhead"]) {
        if (values[name] !== undefined) latency[name] = values[name];
      }
      const payload = { latency };
      if (values.request_error_rate !== undefined) payload.request_error_rate = Number(values.request_error_rate);
      await call("PATCH", `${control}/config`, payload);
      return "Configuration changed: new batches use it.";
    },
    reset: async (el, values) => {
      await call("POST", `${control}/reset`, withKey({}, values));
      return values.apiKey ? "That key's state was reset." : "The emulator was reset.";
    },
    "clear-requests": async () => {
      await call("DELETE", `${control}/requests`);
      return "The request journal is empty.";
    },
    create: async (el, values) => {
      const input = el.querySelector('input[type="file"]');
      const file = input && input.files && input.files[0];
      const content = file || new Blob([values.jsonl || ""], { type: "application/jsonl" });
      const params = new URLSearchParams({ model: values.model || "", kind: values.kind || "generate" });
      for (const name of ["key", "displayName"]) if (values[name]) params.set(name, values[name]);
      params.set("fileName", file ? file.name : "requests.jsonl");
      const answer = await call("POST", `${base}/api/batches?${params}`, undefined, {
        body: content,
        headers: { ...HEADERS, "content-type": "application/jsonl" },
      });
      location.assign(answer.url);
      return `Started ${answer.batch.name}.`;
    },
  };

  async function act(el, values) {
    const action = ACTIONS[el.dataset.act];
    if (!action) return;
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    const buttons = el.tagName === "FORM" ? el.querySelectorAll("button") : [el];
    for (const b of buttons) b.disabled = true;
    try {
      if (el.dataset.then || el.dataset.act === "create") leaving = true;
      say(await action(el, values));
      if (el.dataset.then) {
        location.assign(el.dataset.then);
        return;
      }
      await tick();
    } catch (error) {
      leaving = false;
      say(error.message, true);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  document.addEventListener("click", (event) => {
    const el = event.target.closest("button[data-act]");
    if (el) {
      event.preventDefault();
      act(el, {});
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-act]");
    if (form) {
      event.preventDefault();
      act(form, fields(form));
    }
  });

  // The example rule follows the kind chosen.
  const faultForm = document.querySelector('form[data-act="add-fault"]');
  if (faultForm) {
    const examples = JSON.parse(faultForm.dataset.examples);
    const rule = faultForm.querySelector('[name="rule"]');
    faultForm.querySelector('[name="kind"]').addEventListener("change", (event) => {
      if (Object.values(examples).includes(rule.value)) rule.value = examples[event.target.value];
    });
  }

  // After a search by key, the first line found is highlighted (again after each update).
  function markFound() {
    if (!new URLSearchParams(location.search).get("q")) return;
    const first = document.querySelector("table.lines tbody tr");
    if (first) first.classList.add("found");
  }
  document.addEventListener("live:updated", markFound);
  markFound();

  timer = setTimeout(tick, ACTIVE_MS);
})();
