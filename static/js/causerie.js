// Causerie's own script. No inline script anywhere (the CSP forbids it): behaviour hooks on
// data attributes. htmx sends the CSRF token from the page's meta tag on every request.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });
  // The language switcher submits on change for pointer users; its button stays for keyboards
  // and for browsers without JavaScript.
  document.addEventListener("change", function (event) {
    var select = event.target.closest(".language-switch select");
    if (select) {
      select.form.submit();
    }
  });
})();
