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
