// The try-it pane (/trainer/try): after htmx has appended a turn, empty the text box and show
// the newest turn. No inline script (the CSP forbids it); the page works without this file.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = document.getElementById("try-form");
  if (!form || !event.detail.successful) return;
  if (event.detail.elt === form) form.querySelector("input[name=message]").value = "";
  const log = document.getElementById("try-log");
  if (log && log.lastElementChild) log.lastElementChild.scrollIntoView({ block: "nearest" });
  if (form) form.querySelector("input[name=message]").focus();
});
