// Projector mode: the keyboard (or a presentation clicker, which sends PageDown and PageUp)
// follows the same links as the on-screen Previous, Next and Leave buttons, so the step
// always lives in the URL. Without JavaScript the buttons are ordinary links.
(function () {
  "use strict";

  let navigating = false;

  function linkHref(selector) {
    const link = document.querySelector(selector);
    return link && link.hasAttribute("href") ? link.href : null;
  }

  // Space and PageDown (and Shift+Space, PageUp) scroll a step too long for the screen
  // before they move on, so that its end is never skipped; the arrows always move on.
  function canScroll(down) {
    const root = document.documentElement;
    return down ? window.scrollY + window.innerHeight < root.scrollHeight - 1 : window.scrollY > 0;
  }

  function destination(event) {
    switch (event.key) {
      case "ArrowRight":
        return linkHref("a[rel~=next]");
      case "ArrowLeft":
      case "Backspace":
        return linkHref("a[rel~=prev]");
      case "PageDown":
        return canScroll(true) ? null : linkHref("a[rel~=next]");
      case "PageUp":
        return canScroll(false) ? null : linkHref("a[rel~=prev]");
      case " ":
        return canScroll(!event.shiftKey) ? null : linkHref(event.shiftKey ? "a[rel~=prev]" : "a[rel~=next]");
      case "Home":
        return linkHref("link[rel~=first]");
      case "End":
        return linkHref("link[rel~=last]");
      case "Escape":
        return linkHref(".present-leave");
      default:
        return null;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    // Keys typed into a field (the browser's own find bar is not in the page) stay there.
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    const url = destination(event);
    if (!url || url === window.location.href) return;
    event.preventDefault();
    if (navigating) return; // one step per key press, even when a key is held down
    navigating = true;
    window.location.assign(url);
  });

  // Coming back with the browser's Back button may restore this page as it was left.
  window.addEventListener("pageshow", function () {
    navigating = false;
  });

  const keys = document.querySelector(".present-keys");
  if (keys) keys.hidden = false;
})();
