// The review queue from the keyboard (the help dialog, "?", lists the keys):
//   j / k   next / previous item           x        select the item for a bulk action
//   o Enter open the item                  a h      keep / hide (the selection, else the item)
//   r       remove: pick the reason        c        claim the item
// Every action submits the page's own forms (the bulk form, the claim form), exactly what a
// mouse would do, so the server's answer — a redirect back to the queue — is the same. After
// it, the item now in the same place is the current one, with the focus: a moderator clears
// the queue pressing a, a, h, r Enter… without the mouse. Keys are ignored while typing in a
// field, with Ctrl/Alt/Meta held, or while a dialog is open. No inline script (CSP): this
// file is the whole behaviour, hooked on ids and data attributes of queue.html.
(() => {
  "use strict";
  const form = document.querySelector("[data-queue-form]");
  if (!form) return;
  const STORE = "moderation.queue:" + window.location.pathname + window.location.search;
  const rows = () => Array.from(document.querySelectorAll(".queue-row"));
  const helpDialog = document.getElementById("queue-help");
  const removeDialog = document.getElementById("queue-remove");
  let current = -1;
  let returnFocus = null;

  function remember(index) {
    try {
      window.sessionStorage.setItem(STORE, String(index));
    } catch (error) {
      // private mode: the queue starts at its top after an action, nothing worse
    }
  }

  function remembered() {
    try {
      const value = window.sessionStorage.getItem(STORE);
      window.sessionStorage.removeItem(STORE);
      return value === null ? null : Number.parseInt(value, 10);
    } catch (error) {
      return null;
    }
  }

  function moveTo(index, { focus = true } = {}) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, n) => {
      row.classList.toggle("is-current", n === current);
      if (n === current) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
    const link = all[current].querySelector("a");
    if (focus && link) {
      link.focus();
      link.scrollIntoView({ block: "nearest" });
    }
  }

  function currentRow() {
    const all = rows();
    return current >= 0 && current < all.length ? all[current] : null;
  }

  function selectedBoxes() {
    return Array.from(form.querySelectorAll('input[name="items"]:checked'));
  }

  function targetCount() {
    return selectedBoxes().length || (currentRow() ? 1 : 0);
  }

  // Decide the selection, or the current item when nothing is selected.
  function decide(action, { removalReason = "", reason = "" } = {}) {
    if (!selectedBoxes().length) {
      const row = currentRow();
      if (!row) return;
      const box = row.querySelector('input[name="items"]');
      if (box) box.checked = true;
    }
    form.elements.action.value = action;
    if (form.elements.removal_reason) form.elements.removal_reason.value = removalReason;
    form.elements.reason.value = reason;
    remember(current);
    form.requestSubmit();
  }

  function claim() {
    const row = currentRow();
    const claimForm = document.getElementById("claim-form");
    if (!row || !claimForm) return;
    claimForm.action = row.dataset.claimUrl;
    remember(current);
    claimForm.requestSubmit();
  }

  function open() {
    const row = currentRow();
    const link = row && row.querySelector("a");
    if (link) link.click();
  }

  function showDialog(dialog) {
    if (!dialog || dialog.open) return;
    returnFocus = document.activeElement;
    dialog.returnValue = "";
    dialog.showModal();
  }

  // Focus goes back where it was (the current item's link) when a dialog closes.
  function restoreFocus() {
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  // --- The remove dialog: Enter removes with the checked reason, 1-9 picks one -----------------
  if (removeDialog) {
    const removeForm = removeDialog.querySelector("[data-remove-form]");
    const text = removeDialog.querySelector("[data-remove-text]");
    const count = removeDialog.querySelector("[data-remove-count]");
    const radios = () => Array.from(removeDialog.querySelectorAll('input[type="radio"]'));
    const confirmButton = removeForm.querySelector('button[value="remove"]');

    removeDialog.addEventListener("open-remove", () => {
      text.value = "";
      const choices = radios();
      if (choices.length) choices[0].checked = true;
      const n = targetCount();
      count.textContent = n > 1 ? (count.dataset.many || "").replace("%(count)s", n) : "";
      showDialog(removeDialog);
      (choices[0] || text).focus();
    });

    removeDialog.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const typing = event.target === text;
      if (!typing && /^[1-9]$/.test(event.key)) {
        const choice = radios()[Number(event.key) - 1];
        if (choice) {
          choice.checked = true;
          event.preventDefault();
          removeForm.requestSubmit(confirmButton);
        }
      } else if (event.key === "Enter" && event.target.type === "radio") {
        event.preventDefault();
        removeForm.requestSubmit(confirmButton);
      }
    });

    removeDialog.addEventListener("close", () => {
      if (removeDialog.returnValue !== "remove") {
        restoreFocus();
        return;
      }
      const written = text.value.trim();
      const checked = radios().find((radio) => radio.checked);
      if (!written && !checked) {
        restoreFocus();
        return; // nothing to tell the author: the server would refuse it anyway
      }
      // A written reason replaces the ready-made one (and its rule).
      decide("remove", {
        removalReason: written || !checked ? "" : checked.value,
        reason: written,
      });
    });
  }

  if (helpDialog) helpDialog.addEventListener("close", restoreFocus);
  document.querySelectorAll("[data-queue-help]").forEach((button) => {
    button.addEventListener("click", () => showDialog(helpDialog));
  });

  // --- Keys ---------------------------------------------------------------------------------
  const ACTIONS = {
    j: () => moveTo(current + 1),
    k: () => moveTo(current - 1),
    x: () => {
      const row = currentRow();
      const box = row && row.querySelector('input[name="items"]');
      if (box) box.checked = !box.checked;
    },
    o: open,
    Enter: open,
    a: () => decide("keep"),
    h: () => decide("hide"),
    r: () => {
      if (removeDialog && targetCount()) removeDialog.dispatchEvent(new Event("open-remove"));
    },
    c: claim,
    "?": () => showDialog(helpDialog),
  };

  // Fields where a key is text, not a command (checkboxes and buttons are not).
  const TYPING = [
    "textarea",
    "select",
    "[contenteditable]",
    'input:not([type="checkbox"]):not([type="radio"]):not([type="button"]):not([type="submit"])',
  ].join(", ");

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest(TYPING)) return;
    const run = ACTIONS[event.key];
    if (!run) return;
    // Enter on a link or a button already does its own thing.
    if (event.key === "Enter" && target.closest("a, button, input")) return;
    event.preventDefault();
    if (current < 0 && event.key !== "?") {
      // The first key picks the first item: j and k stop there, an action applies to it.
      moveTo(0, { focus: event.key === "j" || event.key === "k" });
      if (event.key === "j" || event.key === "k") return;
    }
    run();
  });

  // Clicking a row's checkbox or link makes it the current row.
  form.addEventListener("focusin", (event) => {
    const row = event.target.closest(".queue-row");
    if (row) {
      const index = rows().indexOf(row);
      if (index !== current) moveTo(index, { focus: false });
    }
  });

  // After an action the page comes back: the item now in the same place is current, focused.
  const back = remembered();
  if (back !== null && rows().length) moveTo(back);
})();
