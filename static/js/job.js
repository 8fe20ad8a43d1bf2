// Follows a job's progress by polling its status, then reloads to show the result.
(function () {
  "use strict";
  var box = document.querySelector(".job[data-status-url]");
  if (!box || box.dataset.finished === "true") return;
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var message = document.getElementById("job-message");
  var labels = JSON.parse(state.dataset.labels || "{}");
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.progress;
        bar.textContent = job.progress + "%";
        state.textContent = labels[job.status] || job.status;
        message.textContent = job.message;
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
