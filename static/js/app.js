// Behaviour that needs script lives here, never inline: the CSP forbids inline script.
"use strict";

function enableTooltips(root) {
  root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((element) => {
    bootstrap.Tooltip.getOrCreateInstance(element);
  });
}

document.addEventListener("DOMContentLoaded", () => enableTooltips(document));
document.addEventListener("htmx:afterSettle", (event) => enableTooltips(event.target));

// A header checkbox with data-select-all="NAME" ticks or clears every checkbox NAME of its form
// (those inside it and those outside that name it with their form attribute).
document.addEventListener("change", (event) => {
  const master = event.target.closest("[data-select-all]");
  if (!master) return;
  const name = master.dataset.selectAll;
  for (const box of master.form.elements) {
    if (box.type === "checkbox" && box.name === name) box.checked = master.checked;
  }
});

// A search box beside a dropdown asks the server with htmx as the user types; its own form
// (which reloads the page with the search, for browsers without script) is not submitted then,
// so pressing Enter loses nothing typed in the page's other form.
document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-search-form]")) event.preventDefault();
});

// A dropdown's search box (data-choices-search, core.filters.SearchSelect) fetches that
// dropdown's options as the user types. What it holds filters no row, so neither leaving it
// (change) nor Enter in it refreshes the list around it: a refresh would also undo what was
// chosen below the filters ("all filtered tickets"). Without script, Enter sends the search.
document.addEventListener(
  "change",
  (event) => {
    if (event.target.matches("[data-choices-search]")) event.stopPropagation();
  },
  true,
);
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("[data-choices-search]")) {
    event.preventDefault();
  }
});

// An htmx request the server refused with anything but a 422 (which is swapped: a form shown
// again with its errors) must not pass unnoticed: say so where the messages are.
document.addEventListener("htmx:responseError", (event) => {
  const messages = document.getElementById("messages");
  if (!messages) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = document.body.dataset.requestFailed.replace(
    "%(status)s",
    String(event.detail.xhr.status),
  );
  messages.replaceChildren(alert);
});

// Order page: "Invia al gestionale" waits while a line is open for editing, holds an edit not
// yet saved, or one the server refused, so what is sent is always what is on screen.
function guardSend() {
  const send = document.getElementById("send-to-erp");
  const lines = document.getElementById("order-lines");
  if (!send || !lines || !send.form) return;
  const pending = lines.querySelector(".is-invalid, .line-editing, [data-unsaved]");
  send.disabled = Boolean(pending);
  send.title = pending ? send.dataset.blockedReason : "";
}

document.addEventListener("input", (event) => {
  const edited = event.target.closest("#order-lines form, #order-lines .order-line");
  if (!edited) return;
  edited.dataset.unsaved = "true";
  guardSend();
});
document.addEventListener("DOMContentLoaded", guardSend);
document.addEventListener("htmx:afterSettle", guardSend);
