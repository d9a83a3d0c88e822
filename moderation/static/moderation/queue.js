// Review queue keyboard: j / k move between items, x selects for a bulk action, o opens.
// Keys are ignored while typing in a field or with a modifier held.
(() => {
  "use strict";
  const rows = () => Array.from(document.querySelectorAll(".queue-row"));
  let current = -1;

  function moveTo(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, n) => row.classList.toggle("is-current", n === current));
    const link = all[current].querySelector("a");
    if (link) link.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "j") {
      moveTo(current + 1);
      event.preventDefault();
    } else if (event.key === "k") {
      moveTo(current - 1);
      event.preventDefault();
    } else if (event.key === "x" && current >= 0) {
      const box = rows()[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      event.preventDefault();
    } else if (event.key === "o" && current >= 0) {
      const link = rows()[current].querySelector("a");
      if (link) link.click();
    }
  });
})();
