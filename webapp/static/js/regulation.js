// The regulation's page: the Print button appears only with JavaScript; without it
// the hint to press Ctrl+P stays. (No inline scripts: the CSP allows only our files.)
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  for (const hint of document.querySelectorAll("[data-print-hint]")) {
    hint.hidden = true;
  }
});
