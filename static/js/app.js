// Small progressive enhancements; every page works without JavaScript.
// Inline handlers are not allowed by the Content-Security-Policy, so behaviour is
// attached here from data attributes.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
