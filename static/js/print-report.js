// The evaluation report's "Print or save as PDF" button: shown only where script runs (without
// it the page's hint says how to print), and it opens the browser's print dialogue.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-print-report]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
