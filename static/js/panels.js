// Cause and impact panels.
//
// Each panel's toggle is a link to the panel's own page, and htmx turns it into an
// in-place fetch of the panel's body. This script adds what htmx does not: once a
// body is loaded, opening and closing happen here without a request; aria-expanded
// follows; "Expand all" and "Collapse all" work in place; printing opens every
// panel. Without JavaScript every control is an ordinary link.
(function () {
  "use strict";

  let expandingAll = false;

  function bodyOf(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function isOpen(toggle) {
    return toggle.getAttribute("aria-expanded") === "true";
  }

  function isLoaded(toggle) {
    return bodyOf(toggle).childElementCount > 0;
  }

  function setOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", String(open));
    bodyOf(toggle).hidden = !open;
  }

  function expandAll(root) {
    root.querySelectorAll(".panel-toggle").forEach(function (toggle) {
      if (!isOpen(toggle)) toggle.click();
    });
  }

  // Capture phase, so that this runs before htmx's own click handler on the toggle.
  document.addEventListener(
    "click",
    function (event) {
      const toggle = event.target.closest(".panel-toggle");
      if (toggle) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
          // Open in a new tab or window: let the browser follow the link.
          event.stopPropagation();
          return;
        }
        if (bodyOf(toggle).getAttribute("aria-busy") === "true") {
          // Still loading: one request is enough.
          event.preventDefault();
          event.stopPropagation();
        } else if (isLoaded(toggle)) {
          event.preventDefault();
          event.stopPropagation();
          expandingAll = false;
          setOpen(toggle, !isOpen(toggle));
        } else {
          // First opening: htmx fetches the body into the panel.
          setOpen(toggle, true);
          bodyOf(toggle).setAttribute("aria-busy", "true");
        }
        return;
      }

      const control = event.target.closest("[data-panels]");
      if (control) {
        event.preventDefault();
        const panels = control.closest(".panels");
        if (control.dataset.panels === "expand") {
          expandingAll = true;
          expandAll(panels);
        } else {
          expandingAll = false;
          panels.querySelectorAll(".panel-toggle").forEach(function (toggle) {
            setOpen(toggle, false);
          });
        }
      }
    },
    true
  );

  function afterSwap(event) {
    // htmx 2 fires this on the swapped element, htmx 4 on the element that asked.
    const target = event.target;
    const body = target.classList.contains("panel-toggle") ? bodyOf(target) : target;
    if (!body.classList.contains("panel-body")) return;
    body.removeAttribute("aria-busy");
    // htmx binds swapped-in content only once the swap settles, a moment later; bind the
    // sub-panel toggles now, so that clicking them at once, or expanding all, stays in place.
    window.htmx.process(body);
    if (expandingAll) expandAll(body);
  }

  function onError(event) {
    // The fragment could not be loaded: go to the panel's own page instead (once,
    // although htmx may report the same failure under two names).
    const toggle = event.target.closest && event.target.closest(".panel-toggle");
    if (toggle && !toggle.dataset.failed) {
      toggle.dataset.failed = "true";
      window.location.assign(toggle.href);
    }
  }

  // Event names of htmx 2 and htmx 4.
  document.addEventListener("htmx:afterSwap", afterSwap);
  document.addEventListener("htmx:after:swap", afterSwap);
  document.addEventListener("htmx:responseError", onError);
  document.addEventListener("htmx:sendError", onError);
  document.addEventListener("htmx:error", onError);

  // Printing: load and open every panel first, so that the handout is complete,
  // then put the panels back as they were. The requests are synchronous because
  // the browser lays out the printed page as soon as this handler returns.
  let openBeforePrint = null;

  window.addEventListener("beforeprint", function () {
    const toggles = Array.from(document.querySelectorAll(".panel-toggle"));
    openBeforePrint = new Set(toggles.filter(isOpen));
    for (let index = 0; index < toggles.length; index++) {
      const toggle = toggles[index];
      if (!isLoaded(toggle)) {
        const request = new XMLHttpRequest();
        request.open("GET", toggle.getAttribute("hx-get"), false);
        request.setRequestHeader("HX-Request", "true");
        try {
          request.send();
        } catch (error) {
          continue;
        }
        if (request.status === 200) {
          bodyOf(toggle).innerHTML = request.responseText;
          window.htmx.process(bodyOf(toggle));
          // Sub-panels arrive with the body: load them too.
          toggles.push.apply(toggles, bodyOf(toggle).querySelectorAll(".panel-toggle"));
        }
      }
      setOpen(toggle, true);
    }
    // "How do we know?" lists print open too, those that just arrived with their panels included.
    document.querySelectorAll("details.evidence").forEach(function (details) {
      details.open = true;
    });
  });

  window.addEventListener("afterprint", function () {
    if (!openBeforePrint) return;
    document.querySelectorAll(".panel-toggle").forEach(function (toggle) {
      setOpen(toggle, openBeforePrint.has(toggle));
    });
    openBeforePrint = null;
  });
})();
