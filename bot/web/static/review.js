// The review inbox: a checkbox in each group's heading ticks or clears all its messages.
// Without JavaScript the heading's checkbox stays hidden and each row is ticked by hand.
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.review-group-toggle")) {
    const group = toggle.closest("section.review-group");
    const rows = () => group.querySelectorAll('input[name="event"]');
    toggle.hidden = false;
    toggle.addEventListener("change", () => {
      for (const row of rows()) row.checked = toggle.checked;
    });
    group.addEventListener("change", (event) => {
      if (event.target.name !== "event") return;
      const all = [...rows()];
      toggle.checked = all.every((row) => row.checked);
      toggle.indeterminate = !toggle.checked && all.some((row) => row.checked);
    });
  }
});
