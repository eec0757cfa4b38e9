// "Cite this lesson": a Copy button beside each citation. Without this script the buttons stay
// hidden and each citation is plain text to select and copy.
(() => {
  "use strict";

  const select = (block) => {
    const range = document.createRange();
    range.selectNodeContents(block);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  };

  // Resolves true once the citation is on the clipboard.
  const copy = async (block) => {
    const text = block.innerText.trim();
    if (navigator.clipboard && window.isSecureContext) {
      try {
        // With the HTML as well, a word processor keeps the title in italics.
        await navigator.clipboard.write([
          new ClipboardItem({
            "text/plain": new Blob([text], { type: "text/plain" }),
            "text/html": new Blob([block.innerHTML.trim()], { type: "text/html" }),
          }),
        ]);
        return true;
      } catch {
        try {
          await navigator.clipboard.writeText(text);
          return true;
        } catch {
          // Refused (a permission, an old browser): fall through to selecting the text.
        }
      }
    }
    // Pages served over plain http (some school networks) have no clipboard API.
    select(block);
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  };

  const say = (status, message) => {
    // Emptied first, so that a second "Copied" is announced again.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = message;
    }, 100);
  };

  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.hidden = false;
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const block = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector("[data-copy-status]");
    if (!block || !status) return;
    if (await copy(block)) {
      say(status, "Copied");
    } else {
      select(block);
      say(status, "The citation is selected: press Ctrl+C (⌘C on a Mac) to copy it.");
    }
  });
})();
