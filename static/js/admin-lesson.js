// The lesson change page in the admin: reorder sections and readings by dragging
// or with Move up / Move down buttons, and preview a section's Markdown.
// Without JavaScript the order fields are typed in and the draft is previewed on the site.
"use strict";

window.addEventListener("load", function () {
  const previewUrlElement = document.getElementById("preview-markdown-url");
  const previewUrl = previewUrlElement && JSON.parse(previewUrlElement.textContent);
  let dragged = null;
  let rowsBeforeDrag = [];

  function rowsOf(group) {
    return Array.from(group.querySelectorAll(".inline-related:not(.empty-form)"));
  }

  function orderInput(row) {
    return row.querySelector("input[name$='-order']");
  }

  function renumber(group) {
    rowsOf(group).forEach(function (row, index) {
      const input = orderInput(row);
      if (input) input.value = index + 1;
    });
  }

  function move(row, offset) {
    const group = row.closest(".inline-group");
    const rows = rowsOf(group);
    const target = rows[rows.indexOf(row) + offset];
    if (!target) return;
    target.insertAdjacentElement(offset < 0 ? "beforebegin" : "afterend", row);
    renumber(group);
    row.querySelector(offset < 0 ? ".move-up" : ".move-down").focus();
    announce(group, "Moved to position " + (rowsOf(group).indexOf(row) + 1) + ". Save to keep the new order.");
  }

  function announce(group, text) {
    let status = group.querySelector(".reorder-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "reorder-status";
      status.setAttribute("role", "status");
      group.appendChild(status);
    }
    status.textContent = text;
  }

  function button(label, className, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = className;
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  function addReorderControls(row) {
    if (!orderInput(row) || row.querySelector(".reorder-controls")) return;
    const controls = document.createElement("div");
    controls.className = "reorder-controls";
    const handle = document.createElement("span");
    handle.className = "drag-handle";
    handle.textContent = "⠿ Drag to reorder";
    handle.setAttribute("aria-hidden", "true");
    controls.append(
      handle,
      button("Move up", "move-up", function () { move(row, -1); }),
      button("Move down", "move-down", function () { move(row, 1); })
    );
    row.querySelector("h3").after(controls);

    // Only the handle starts a drag, so that text in the row can still be selected.
    handle.addEventListener("mousedown", function () {
      row.draggable = true;
      // A click that starts no drag must not leave the row draggable.
      document.addEventListener("mouseup", function () { if (dragged !== row) row.draggable = false; }, { once: true });
    });
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      rowsBeforeDrag = rowsOf(row.closest(".inline-group"));
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.id);
    });
    // The rows move while the pointer passes over them, so the order is settled when the drag
    // ends, wherever the row is let go (usually over itself, where it has just moved to).
    row.addEventListener("dragend", function () {
      row.draggable = false;
      row.classList.remove("dragging");
      dragged = null;
      const group = row.closest(".inline-group");
      const moved = rowsOf(group).some(function (other, index) { return other !== rowsBeforeDrag[index]; });
      if (moved) {
        renumber(group);
        announce(group, "Order changed. Save to keep it.");
      }
    });
    row.addEventListener("dragover", function (event) {
      if (!dragged || dragged.parentNode !== row.parentNode) return;
      event.preventDefault();  // over the dragged row itself too: dropping there is fine
      if (dragged === row) return;
      const box = row.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      row.insertAdjacentElement(after ? "afterend" : "beforebegin", dragged);
    });
    row.addEventListener("drop", function (event) {
      event.preventDefault();  // the order is settled on dragend
    });
  }

  function addPreview(textarea) {
    if (!previewUrl || textarea.dataset.preview) return;
    textarea.dataset.preview = "on";
    const output = document.createElement("div");
    output.className = "markdown-preview";
    output.setAttribute("aria-live", "polite");
    output.hidden = true;
    const trigger = button("Preview", "preview-button", function () {
      const data = new FormData();
      data.append("text", textarea.value);
      data.append("csrfmiddlewaretoken", textarea.form.querySelector("[name=csrfmiddlewaretoken]").value);
      fetch(previewUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          output.innerHTML = html || "<p><em>Nothing to preview yet.</em></p>";
          output.hidden = false;
        })
        .catch(function () {
          output.textContent = "The preview could not be loaded. Save the lesson and use View on site instead.";
          output.hidden = false;
        });
    });
    textarea.after(trigger, output);
  }

  function enhance(root) {
    root.querySelectorAll(".sortable-inline .inline-related:not(.empty-form)").forEach(addReorderControls);
    root.querySelectorAll("textarea[name^='sections-'][name$='-body']").forEach(function (textarea) {
      if (!textarea.closest(".empty-form")) addPreview(textarea);
    });
  }

  enhance(document);

  // A row added with "Add another" goes to the end of the order.
  document.addEventListener("formset:added", function (event) {
    const row = event.target;
    const group = row.closest(".inline-group");
    enhance(row.parentNode);
    if (group) renumber(group);
  });
});
