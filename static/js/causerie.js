// Causerie's own script. No inline script anywhere (the CSP forbids it): behaviour hooks on
// data attributes. htmx sends the CSRF token from the page's meta tag on every request.
// Every feature here is an enhancement: each page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });
  // The language switcher has no submit-on-change: arrow keys on a closed select fire "change"
  // on some systems, which would navigate away on a keyboard user's first key (WCAG 3.2.2).

  function announce(text) {
    var region = document.getElementById("live-announcer");
    if (region) {
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function showMessage(text, level) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "message message--" + (level || "error");
    p.textContent = text;
    box.replaceChildren(p);
  }

  // Category colours come from the database. They are set through the CSSOM (allowed by the
  // CSP, unlike a style attribute), and only when they are a plain hex colour.
  var HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
  function paintCategories(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("[data-colour]") : [];
    Array.prototype.forEach.call(nodes, function (node) {
      var colour = node.getAttribute("data-colour");
      if (HEX.test(colour)) {
        node.style.setProperty("--cat-colour", colour);
      }
    });
  }

  // --- Composer: reply, quote, Ctrl+Enter ----------------------------------------------------
  function composer() {
    var form = document.querySelector(".composer__form");
    return form ? { form: form, body: form.querySelector("[data-composer-body]") } : null;
  }

  function setReplyTo(target, postId, name) {
    var input = target.form.querySelector('input[name="reply_to"]');
    var banner = target.form.querySelector("[data-replying]");
    if (input) { input.value = postId || ""; }
    if (banner) {
      var label = banner.querySelector("[data-replying-label]");
      if (label && name) {
        label.textContent = label.getAttribute("data-prefix") + " @" + name;
      }
      banner.hidden = !postId;
    }
  }

  function insertIntoComposer(target, text) {
    var body = target.body;
    var before = body.value.replace(/\s+$/, "");
    body.value = (before ? before + "\n\n" : "") + text;
    body.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function focusComposer(target) {
    var section = document.getElementById("composer");
    if (section) { section.scrollIntoView({ behavior: "smooth", block: "start" }); }
    target.body.focus();
    var end = target.body.value.length;
    target.body.setSelectionRange(end, end);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-reply-to]");
    if (!link) { return; }
    var target = composer();
    if (!target || !target.body) { return; }  // no composer (signed out): follow the link
    event.preventDefault();
    setReplyTo(target, link.getAttribute("data-reply-to"), link.getAttribute("data-reply-name"));
    var quoteUrl = link.getAttribute("data-quote-url");
    if (!quoteUrl) { focusComposer(target); return; }
    var selection = window.getSelection ? String(window.getSelection()).trim() : "";
    fetch(quoteUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var markdown = data.markdown;
        // A selection inside the quoted post quotes just that part, as Discourse does.
        var article = link.closest(".post");
        if (selection && article && article.contains(window.getSelection().anchorNode)) {
          markdown = markdown.replace(/\n[\s\S]*\n\[\/quote\]/, "\n" + selection + "\n[/quote]");
        }
        insertIntoComposer(target, markdown);
        focusComposer(target);
      })
      .catch(function () { window.location.href = link.href; });
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-reply-cancel]");
    if (!cancel) { return; }
    var target = composer();
    if (target) { setReplyTo(target, "", ""); target.body.focus(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var body = event.target.closest("[data-composer-body]");
      if (body && body.form) {
        event.preventDefault();
        var submit = body.form.querySelector('button[type="submit"]:not([name])');
        if (submit) { submit.click(); } else { body.form.requestSubmit(); }
      }
    }
    if (event.key === "Escape") {
      var open = document.querySelectorAll("details.menu[open]");
      Array.prototype.forEach.call(open, function (details) {
        details.open = false;
        var summary = details.querySelector("summary");
        if (summary && details.contains(document.activeElement)) { summary.focus(); }
      });
    }
  });

  // Menus (<details>) close when clicking elsewhere; so do the callouts of refused votes.
  document.addEventListener("click", function (event) {
    Array.prototype.forEach.call(document.querySelectorAll(".vote__error"), function (note) {
      if (!note.parentNode.contains(event.target)) { note.remove(); }
    });
    var open = document.querySelectorAll("details.menu[open]");
    Array.prototype.forEach.call(open, function (details) {
      if (!details.contains(event.target)) { details.open = false; }
    });
  });

  // --- Confirmations and links ---------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-copy-link]");
    if (!link || !navigator.clipboard) { return; }
    event.preventDefault();
    navigator.clipboard.writeText(new URL(link.getAttribute("href"), window.location.href).href)
      .then(function () { announce(link.getAttribute("title") + " ✓"); link.classList.add("is-copied"); });
  });

  // --- htmx glue -----------------------------------------------------------------------------
  // The texts come from the page (translated by Django), not from this file.
  document.addEventListener("htmx:responseError", function () {
    showMessage(document.body.getAttribute("data-message-error"));
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage(document.body.getAttribute("data-message-offline"));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    // A follow menu re-rendered after a choice: give the focus back to its button.
    var follow = event.target;
    var lost = !document.activeElement || document.activeElement === document.body;
    if (lost && follow.classList && follow.classList.contains("follow")) {
      var summary = follow.querySelector("summary");
      if (summary) { summary.focus(); }
    }
  });

  function onLoad(root) {
    paintCategories(root);
  }
  if (window.htmx) {
    window.htmx.onLoad(onLoad);
  } else {
    document.addEventListener("DOMContentLoaded", function () { onLoad(document); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A composer prefilled by the server (a quote without JavaScript, a form with errors)
    // shows its preview at once.
    var bodies = document.querySelectorAll("[data-composer-body]");
    Array.prototype.forEach.call(bodies, function (body) {
      var preview = document.getElementById(body.id + "-preview");
      if (body.value.trim() && preview && preview.querySelector(".composer__placeholder") && window.htmx) {
        window.htmx.trigger(body, "change");
      }
    });
    if (window.location.hash === "#composer") {
      var target = composer();
      if (target && target.body) { target.body.focus(); }
    }
  });
})();
