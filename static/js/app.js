// Small progressive enhancements; every page works without JavaScript.
// Inline handlers are not allowed by the Content-Security-Policy, so behaviour is
// attached here from data attributes.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Print buttons (the postmortem's print view): no inline handlers under the CSP.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// "/" focuses the header's search box, unless one is typing somewhere already.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) {
    return;
  }
  const box = document.querySelector("[data-search-shortcut]");
  if (box) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

// A header checkbox ticks every row's checkbox of that name.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-tick-all]");
  if (!all) {
    return;
  }
  const form = all.closest("form");
  for (const box of form.querySelectorAll(`input[name="${all.dataset.tickAll}"]`)) {
    box.checked = all.checked;
  }
});

// The action items bar shows the one input its chosen action needs.
function showBulkInput(select) {
  for (const field of select.form.querySelectorAll("[data-bulk]")) {
    field.hidden = field.dataset.bulk !== select.value;
  }
}
document.addEventListener("change", (event) => {
  if (event.target.matches("form.bulk select[name=action]")) {
    showBulkInput(event.target);
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("form.bulk select[name=action]");
  if (select) {
    showBulkInput(select);
  }
});
