// Behaviour shared by every page. No inline script anywhere: pages put their data in
// {{ value|json_script }} blocks or data- attributes and the code lives in static/js/.
(function () {
  "use strict";
  // <select data-autosubmit> submits its form when changed (the language switch).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });
})();
