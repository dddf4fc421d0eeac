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
