// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Rubric builder: show the scale section that matches the chosen scale type.
  var select = document.getElementById("scale_type");
  var sections = document.querySelectorAll("[data-scale-section]");
  if (select && sections.length) {
    var update = function () {
      sections.forEach(function (section) {
        section.hidden = section.getAttribute("data-scale-section") !== select.value;
      });
    };
    select.addEventListener("change", update);
    update();
  }
})();

// Scoring: save the draft in the background as the member answers, so a dropped connection loses nothing.
(function () {
  "use strict";
  var form = document.getElementById("sheet-form");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var version = document.getElementById("sheet-version");
  var timer = null;
  var save = function () {
    var data = new FormData(form);
    data.delete("confirm");
    fetch(form.getAttribute("data-autosave"), {method: "POST", body: data, credentials: "same-origin",
                                                headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (result) {
        if (result[0]) {
          version.value = result[1].version;
          status.textContent = status.getAttribute("data-saved") || "✓";
        } else if (result[1].error) {
          status.textContent = result[1].error.message;
        }
      })
      .catch(function () { /* offline: the next change or the button saves it */ });
  };
  form.addEventListener("change", function (event) {
    if (event.target.id === "confirm-submit") { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  });
})();
