// Behaviour that needs script lives here, never inline: the CSP forbids inline script.
"use strict";

function enableTooltips(root) {
  root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((element) => {
    bootstrap.Tooltip.getOrCreateInstance(element);
  });
}

document.addEventListener("DOMContentLoaded", () => enableTooltips(document));
document.addEventListener("htmx:afterSettle", (event) => enableTooltips(event.target));
