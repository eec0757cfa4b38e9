// Key terms: a term's definition shows on hover and focus (CSS); this adds tap to open,
// Escape to dismiss, and a click elsewhere to close. Without JavaScript a term is a
// link to its entry in the glossary at the end of the lesson.
(function () {
  "use strict";

  function closeAll(except) {
    document.querySelectorAll(".term.is-open").forEach(function (term) {
      if (term !== except) term.classList.remove("is-open");
    });
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest(".term-link");
    if (!link) {
      closeAll(null);
      return;
    }
    const term = link.parentElement;
    if (!term.classList.contains("is-open")) {
      // The first tap shows the definition; a second one goes to the glossary.
      event.preventDefault();
      closeAll(term);
      term.classList.remove("is-dismissed");
      term.classList.add("is-open");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".term:hover, .term:focus-within, .term.is-open").forEach(function (term) {
      term.classList.remove("is-open");
      term.classList.add("is-dismissed");
    });
  });

  // A dismissed definition may show again once the pointer or focus has left its term.
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      const term = event.target.closest && event.target.closest(".term");
      if (term && !term.contains(event.relatedTarget)) term.classList.remove("is-dismissed");
    });
  });
})();
