/* The unit page: keyboard shortcuts, draft autosave, submission without a reload, active time.
 *
 * The form works without this script (a plain POST that redirects to the next unit); the script
 * only makes rating faster. It sends the same form fields to small JSON endpoints.
 */
(() => {
  "use strict";

  const form = document.getElementById("rating-form");
  if (!form) return;

  const messages = JSON.parse(document.getElementById("rate-messages").textContent);
  const statusLine = document.getElementById("rate-status");
  const submitButton = document.getElementById("submit-button");
  const skipButton = document.getElementById("skip-button");
  const skipReason = document.getElementById("id_skip_reason");
  const comment = document.getElementById("id_comment");
  const activeInput = document.getElementById("id_active_seconds");
  const help = document.getElementById("keyboard-help");
  const helpClose = document.getElementById("keyboard-help-close");
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const isOpen = Boolean(submitButton);
  const DRAFT_DELAY_MS = 1200;
  // A longer gap between ticks means the machine slept: that time was not spent rating.
  const MAX_TICK_MS = 2000;

  // ---- Active time: counted only while the page is visible and has the focus.
  let activeMs = 0;
  let lastTick = Date.now();
  let wasCounting = document.visibilityState === "visible" && document.hasFocus();
  const tick = () => {
    const now = Date.now();
    if (wasCounting) activeMs += Math.min(now - lastTick, MAX_TICK_MS);
    lastTick = now;
    wasCounting = document.visibilityState === "visible" && document.hasFocus();
  };
  setInterval(tick, 1000);
  document.addEventListener("visibilitychange", tick);
  window.addEventListener("focus", tick);
  window.addEventListener("blur", tick);

  // ---- Talking to the server.
  const show = (text, isError = false) => {
    if (!statusLine) return;
    statusLine.textContent = text || "";
    statusLine.classList.toggle("error", isError);
  };

  const errorText = (body) => {
    if (!body || !body.errors) return "";
    return Object.values(body.errors).flat().join(" ");
  };

  const formFields = () => {
    const data = new FormData(form);
    data.delete("action");
    return data;
  };

  // A reply that is a page, not JSON, says why the server did not take the request: the login
  // page after a redirect (the session expired), 404 (the unit was withdrawn from the expert),
  // 403 (the page's security token is out of date), or an error page.
  const loginPath = new URL(form.dataset.loginUrl, window.location.href).pathname;
  const problem = (text, link, href) => ({ text, link, href });
  const problemOf = (response) => {
    if (response.redirected && new URL(response.url).pathname === loginPath) {
      return problem(messages.sessionExpired, messages.logIn, form.dataset.loginUrl);
    }
    if (response.status === 404) {
      return problem(messages.unitGone, messages.backToQueue, form.dataset.queueUrl);
    }
    if (response.status === 403) return problem(messages.forbidden, messages.reload, window.location.href);
    return problem(messages.serverError.replace("{status}", String(response.status)));
  };

  const post = async (url, data) => {
    const response = await fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    });
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("application/json")) {
      return { ok: false, body: null, problem: problemOf(response) };
    }
    const body = await response.json();
    return { ok: response.ok, body };
  };

  const showProblem = (trouble) => {
    show(trouble.text, true);
    if (!statusLine || !trouble.href) return;
    const link = document.createElement("a");
    link.href = trouble.href;
    link.textContent = trouble.link;
    statusLine.append(" ", link);
  };

  // ---- Draft autosave, debounced.
  let draftTimer = null;
  let sending = false;

  const saveDraft = async () => {
    draftTimer = null;
    if (sending) return;
    try {
      const result = await post(form.dataset.draftUrl, formFields());
      if (sending) return;
      if (result.problem) showProblem(result.problem);
      else show(result.ok ? messages.saved : errorText(result.body) || messages.notSaved, !result.ok);
    } catch (error) {
      if (!sending) show(messages.notSaved, true);
    }
  };

  const scheduleDraft = () => {
    if (!isOpen || sending) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraft, DRAFT_DELAY_MS);
  };

  const DRAFT_FIELDS = new Set(["value", "flags", "comment"]);
  form.addEventListener("change", (event) => {
    if (DRAFT_FIELDS.has(event.target.name)) scheduleDraft();
  });
  if (comment) comment.addEventListener("input", scheduleDraft);

  // ---- Submit and skip, then open the next unit.
  const setBusy = (busy) => {
    for (const button of form.querySelectorAll("button")) button.disabled = busy;
  };

  const send = async (url) => {
    clearTimeout(draftTimer);
    draftTimer = null;
    tick();
    activeInput.value = (activeMs / 1000).toFixed(1);
    sending = true;
    setBusy(true);
    show(messages.sending);
    try {
      const result = await post(url, formFields());
      if (result.ok && result.body.next_url) {
        window.location.assign(result.body.next_url);
        return;
      }
      if (result.problem) showProblem(result.problem);
      else show(errorText(result.body) || messages.failed, true);
    } catch (error) {
      // The same submission id goes with a retry, so the server never counts it twice.
      show(messages.failed, true);
    }
    sending = false;
    setBusy(false);
  };

  const submitRating = () => {
    if (!form.querySelector("input[name=value]:checked")) {
      show(messages.chooseValue, true);
      return;
    }
    send(form.dataset.submitUrl);
  };

  const skipUnit = () => {
    if (!skipReason || !skipReason.value) {
      show(messages.chooseReason, true);
      if (skipReason) skipReason.focus();
      return;
    }
    send(form.dataset.skipUrl);
  };

  // Older browsers lack SubmitEvent.submitter: remember the last button used instead.
  let lastButton = null;
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) lastButton = button;
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sending || !isOpen) return;
    const submitter = event.submitter || lastButton;
    if (skipButton && submitter === skipButton) skipUnit();
    else submitRating();
  });

  // ---- Keyboard.
  const toggleHelp = (visible) => {
    help.hidden = visible === undefined ? !help.hidden : !visible;
    if (!help.hidden) helpClose.focus();
  };
  helpClose.addEventListener("click", () => toggleHelp(false));

  const isTyping = (target) =>
    target.isContentEditable ||
    target.tagName === "TEXTAREA" ||
    target.tagName === "SELECT" ||
    (target.tagName === "INPUT" && !["radio", "checkbox", "hidden"].includes(target.type));

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.key === "Escape" && !help.hidden) {
      toggleHelp(false);
      return;
    }
    if (event.key === "Enter" && event.target.id === "id_skip_note" && isOpen && !sending) {
      // Enter in the skip note means "skip", not the form's default button (submit).
      event.preventDefault();
      skipUnit();
      return;
    }
    if (
      event.target.id === "id_skip_reason" &&
      event.target.value &&
      ["s", "S", "Enter"].includes(event.key) &&
      isOpen &&
      !sending
    ) {
      // The hint says: choose a reason, then press S again (or Enter) to skip.
      event.preventDefault();
      skipUnit();
      return;
    }
    if (isTyping(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (!isOpen || sending) return;
    if (/^[0-9]$/.test(event.key)) {
      const radio = form.querySelector(`input[name=value][value="${event.key}"]`);
      if (radio && !radio.disabled) {
        event.preventDefault();
        radio.checked = true;
        show("");
        scheduleDraft();
      }
      return;
    }
    if (event.key === "Enter") {
      // Buttons, links and summaries keep their own Enter.
      if (event.target.closest("button, a, summary")) return;
      event.preventDefault();
      submitRating();
      return;
    }
    if ((event.key === "s" || event.key === "S") && skipButton) {
      event.preventDefault();
      skipUnit();
    }
  });
})();
