// vodguard console: keyboard shortcuts, seeking, browser uploads with progress, confirmations, auto-refresh,
// and times in the browser's time zone. Plain JavaScript, no build step. Shortcuts are declared in the pages with
// data-key attributes; the words this script writes come from data attributes, translated by the server.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  let prefix = "";  // the "g" of two-key shortcuts
  let selected = -1;

  function rows() { return Array.from(document.querySelectorAll("[data-rows] tr.row")); }

  function select(index) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((r, i) => r.classList.toggle("selected", i === selected));
    all[selected].scrollIntoView({ block: "nearest" });
  }

  function activate(el) {
    if (el.tagName === "A") { window.location.href = el.href; return; }
    if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") { el.focus(); el.select && el.select(); return; }
    el.click();
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (typing(ev.target)) {
      if (ev.key === "Escape") ev.target.blur();
      // A reason field must not submit the form with Enter: the first button would approve.
      if (ev.key === "Enter" && ev.target.hasAttribute("data-no-enter")) ev.preventDefault();
      return;
    }
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (key === "?") { const help = document.getElementById("help"); if (help) help.showModal(); return; }
    if (prefix) {
      const target = document.querySelector(`[data-key="${prefix} ${key}"]`);
      prefix = "";
      if (target) { ev.preventDefault(); activate(target); }
      return;
    }
    if (key === "g") { prefix = "g"; setTimeout(() => { prefix = ""; }, 1500); return; }
    if (rows().length && (key === "j" || key === "k")) {
      ev.preventDefault();
      select(selected < 0 ? 0 : selected + (key === "j" ? 1 : -1));
      return;
    }
    if (rows().length && (key === "Enter" || key === "o") && selected >= 0) {
      ev.preventDefault();
      window.location.href = rows()[selected].dataset.href;
      return;
    }
    if (key === " ") {
      const player = document.getElementById("player");
      if (player && typeof player.play === "function") { ev.preventDefault(); player.paused ? player.play() : player.pause(); }
      return;
    }
    const target = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (target) { ev.preventDefault(); activate(target); }
  });

  document.addEventListener("click", (ev) => {
    const seek = ev.target.closest("[data-seek]");
    if (seek) {
      const player = document.getElementById("player");
      if (player && "currentTime" in player) {
        ev.preventDefault();
        player.currentTime = parseFloat(seek.dataset.seek);
        player.play().catch(() => {});
      }
      return;
    }
    const row = ev.target.closest("[data-rows] tr.row");
    if (row && !ev.target.closest("a, button, input")) window.location.href = row.dataset.href;
  });
  document.addEventListener("keydown", (ev) => {
    // Timeline marks are focusable: Enter on one seeks like a click.
    if (ev.key === "Enter" && ev.target.matches && ev.target.matches("rect[data-seek]")) {
      ev.target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }
  });

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  });

  // Browser upload: ask the console for a one-time signature, then POST the file to /upload with progress.
  function setupUpload() {
    const form = document.getElementById("upload-form");
    if (!form || !document.getElementById("upload-file")) return;
    const bar = document.getElementById("upload-progress");
    const status = document.getElementById("upload-status");
    const button = document.getElementById("upload-button");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const file = document.getElementById("upload-file").files[0];
      if (!file) { status.textContent = form.dataset.choose; return; }
      const procedure = document.getElementById("upload-procedure").value;
      button.disabled = true;
      status.textContent = form.dataset.signing;
      const signForm = new FormData();
      signForm.append("procedure", procedure);
      let signature;
      try {
        const resp = await fetch("/console/library/upload-signature", {
          method: "POST", body: signForm, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin",
        });
        if (!resp.ok) throw new Error(resp.status === 401 ? form.dataset.signedOut : fill(form.dataset.refused, { status: resp.status }));
        signature = (await resp.json()).signature;
      } catch (err) {
        status.textContent = fill(form.dataset.notStarted, { why: err.message }); button.disabled = false; return;
      }
      const body = new FormData();
      body.append("signature", signature);
      const name = document.getElementById("upload-name").value.trim();
      if (name) body.append("mediaName", name);
      body.append("file", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/upload");
      bar.hidden = false; bar.value = 0;
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = fill(form.dataset.uploading, { percent: bar.value });
        }
      };
      xhr.onload = () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200 && answer.FileId) {
          bar.value = 100;
          status.textContent = fill(form.dataset.uploaded, { file_id: answer.FileId });
          window.location.href = `/console/library?file_id=${encodeURIComponent(answer.FileId)}`;
        } else {
          const why = answer.Error ? `${answer.Error.Code}: ${answer.Error.Message}` : `HTTP ${xhr.status}`;
          status.textContent = fill(form.dataset.failed, { why: why });
          button.disabled = false;
        }
      };
      xhr.onerror = () => { status.textContent = form.dataset.broken; button.disabled = false; };
      xhr.send(body);
    });
  }

  // "{name}" placeholders of a translated message, filled with values.
  function fill(message, values) {
    return (message || "").replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }

  const pad = (n) => String(n).padStart(2, "0");
  const localDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const localClock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

  // The browser's zone as people read it: "Asia/Shanghai, UTC+08:00" (the offset of now).
  function zoneName() {
    const minutes = -new Date().getTimezoneOffset();
    const sign = minutes < 0 ? "-" : "+";
    const offset = `UTC${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
    let name = "";
    try { name = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* no Intl */ }
    return name && name !== "UTC" ? `${name}, ${offset}` : offset;
  }

  // Server pages write times in UTC; here they become local, with the UTC time kept as the tooltip.
  function localTimes() {
    document.querySelectorAll("time[datetime]").forEach((el) => {
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      if (!el.title) el.title = `${el.textContent.trim()}`;
      el.textContent = `${localDay(d)} ${localClock(d)}:${pad(d.getSeconds())}`;
    });
    // Dashboard axis ticks: the start of each bucket, in local time.
    document.querySelectorAll("text[data-utc]").forEach((el) => {
      const d = new Date(el.dataset.utc);
      if (isNaN(d)) return;
      const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      el.textContent = el.dataset.kind === "hour" ? localClock(d)
        : el.dataset.kind === "day" ? day : `${day} ${localClock(d)}`;
    });
    const zone = zoneName();
    document.querySelectorAll("[data-local]").forEach((el) => { el.textContent = fill(el.dataset.local, { zone: zone }); });
  }

  function setupRefresh() {
    const every = parseFloat(document.body.dataset.refresh || "0");
    if (!every) return;
    setInterval(() => {
      if (!typing(document.activeElement) && !document.hidden) window.location.reload();
    }, every * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => { localTimes(); setupUpload(); setupRefresh(); });
})();

// Team console: copy buttons (a new key's secret), preset reasons, and ticking every queue row at once.
(function () {
  "use strict";
  function selectText(source, done) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (document.execCommand("copy")) done();
  }

  document.addEventListener("click", (ev) => {
    const copy = ev.target.closest("[data-copy]");
    if (copy) {
      const source = document.querySelector(copy.dataset.copy);
      if (!source) return;
      const done = () => { copy.textContent = copy.dataset.copied || copy.textContent; copy.classList.add("copied"); };
      // The clipboard API needs a secure context (https or localhost); elsewhere the text is selected and copied.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done, () => selectText(source, done));
      } else {
        selectText(source, done);
      }
      return;
    }
    const preset = ev.target.closest("[data-reason]");
    if (preset) {
      const field = document.getElementById("reason");
      if (field) { field.value = preset.dataset.reason; field.focus(); }
    }
  });

  const all = document.getElementById("select-all");
  if (all) {
    const boxes = () => Array.from(document.querySelectorAll('input[name="file_id"][form="bulk-form"]'));
    all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  }
})();
