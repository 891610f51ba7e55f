// The practice page: live "read as" previews, submitting for grading, showing the solution.
// Everything the server sends back is put in the page as text, except the MathML it renders.
"use strict";
(() => {
  const root = document.documentElement;
  const api = root.dataset.api, problem = root.dataset.problem, seed = Number(root.dataset.seed);
  const form = document.getElementById("answers");
  const hook = (attr, id) => document.querySelector(`[${attr}="${CSS.escape(id)}"]`);
  const total = form.querySelector("[data-total]");

  async function post(path, body) {
    const response = await fetch(api + path, {method: "POST", headers: {"Content-Type": "application/json"},
                                              body: JSON.stringify({problem, seed, ...body})});
    let data = {};
    try { data = await response.json(); } catch (e) { data = {error: `HTTP ${response.status}`}; }
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showPreview(box, data) {
    box.replaceChildren();
    if (data.error !== undefined) {
      box.dataset.state = "error";
      box.append(el("span", "message", data.error));
      if (data.caret) box.append(el("pre", "caret", data.caret));
      return;
    }
    box.dataset.state = "ok";
    box.append(el("span", "read-as-label", "Read as"));
    if (data.mathml) {
      const math = el("span", "read-as");
      math.innerHTML = data.mathml;  // MathML rendered by the server from what it parsed
      math.title = data.read_as.text || "";
      box.append(math);
    } else {
      box.append(el("span", "read-as", "a valid answer"));
    }
  }

  for (const input of document.querySelectorAll("[data-preview-input]")) {
    const box = hook("data-preview-for", input.name);
    let timer = 0, latest = 0;
    const run = async () => {
      const mine = ++latest;
      if (!input.value.trim()) { box.replaceChildren(); delete box.dataset.state; return; }
      try {
        const data = await post("preview", {part: input.name, answer: input.value});
        if (mine === latest) showPreview(box, data);
      } catch (err) {
        if (mine === latest) showPreview(box, {error: err.message});
      }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 150); });
    if (input.value.trim()) run();
  }

  // An answer changed since it was graded: its verdict is shown dimmed until the next submit.
  for (const box of document.querySelectorAll(".answer-box[data-part]")) {
    box.addEventListener("input", () => { if (box.querySelector("[data-verdict]")) box.dataset.stale = ""; });
  }

  function answers() {
    const out = {};
    for (const box of document.querySelectorAll(".answer-box[data-part]")) {
      const id = box.dataset.part;
      if (box.dataset.input === "radio") {
        const checked = box.querySelector("input:checked");
        out[id] = checked ? checked.value : null;
      } else {
        const value = box.querySelector("input, textarea").value;
        out[id] = value.trim() ? value : null;
      }
    }
    return out;
  }

  function showResult(result) {
    for (const part of result.parts) {
      const verdict = hook("data-verdict-for", part.id);
      verdict.textContent = part.verdict;
      verdict.dataset.verdict = part.verdict;
      hook("data-score-for", part.id).textContent = `${part.score} / ${part.max_score}`;
      hook("data-feedback-for", part.id).textContent = part.feedback;
      delete hook("data-verdict-for", part.id).closest(".answer-box").dataset.stale;
    }
    total.replaceChildren(el("span", "", `Score: ${result.score} / ${result.max_score}`));
    if (result.warning) total.append(" ", el("span", "warning", result.warning));
    if (result.attempts !== undefined) document.querySelector("[data-attempts]").textContent = result.attempts;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    total.textContent = "Grading…";
    try {
      showResult(await post("check", {answers: answers()}));
    } catch (err) {
      total.replaceChildren(el("span", "warning", `Not graded: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  });

  form.querySelector('[data-action="solution"]').addEventListener("click", async (event) => {
    const button = event.currentTarget;
    try {
      const data = await post("solution", {});
      for (const [id, html] of Object.entries(data.parts)) {
        const slot = hook("data-solution-for", id);
        slot.innerHTML = html;  // the worked solution rendered by the server's templates
        slot.hidden = false;
      }
      button.disabled = true;
      button.textContent = "Solution shown";
    } catch (err) {
      total.replaceChildren(el("span", "warning", `No solution: ${err.message}`));
    }
  });
})();
