// The progress of a portfolio export made in the background
// (templates/reports/export.html): asks the API for its status every second
// until it is done or failed, then shows the download link or the error.
// Without JavaScript the page shows the status it was rendered with.
(() => {
  const box = document.querySelector("[data-export-status]");
  if (!box) return;
  const part = (name) => box.querySelector(`[data-export-${name}]`);
  const show = (state, data) => {
    part("running").hidden = state === "done" || state === "failed";
    part("done").hidden = state !== "done";
    part("failed").hidden = state !== "failed";
    box.dataset.state = state;
    if (data) {
      part("progress").value = data.progress;
      part("progress").textContent = `${data.progress}%`;
      part("label").textContent =
        state === "queued" ? "Waiting for a worker…" : "Making the file…";
      if (data.error) part("error").textContent = data.error;
    }
  };
  let failures = 0;
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.exportStatus, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const data = await response.json();
      failures = 0;
      show(data.status, data);
      if (data.status === "done" || data.status === "failed") return;
    } catch (error) {
      failures += 1;
      if (failures >= 10) {
        part("error").textContent =
          "The export's status could not be read. Reload the page to try again.";
        show("failed");
        return;
      }
    }
    window.setTimeout(poll, 1000);
  };
  if (box.dataset.state !== "done" && box.dataset.state !== "failed") {
    window.setTimeout(poll, 1000);
  }
})();
