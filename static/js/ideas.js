// Ideas: small enhancements only (every page works without JavaScript; the CSP forbids inline
// scripts, so behaviour hooks on data attributes).
(function () {
  "use strict";
  // "Select all" checkbox of the vote-integrity table.
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-check-all]");
    if (!box || !box.form) { return; }
    var name = box.getAttribute("data-check-all");
    Array.prototype.forEach.call(box.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'), function (item) {
      item.checked = box.checked;
    });
  });
})();
