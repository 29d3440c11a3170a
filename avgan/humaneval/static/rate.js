// Keyboard scoring for the rating page: 0-3 score the focused picture and move on,
// arrows (and Tab) move between pictures, Enter submits once every picture is scored.
(function () {
  "use strict";
  const form = document.getElementById("rating-form");
  if (!form) return;
  const cards = Array.from(form.querySelectorAll(".card"));
  const button = document.getElementById("submit-set");
  const message = document.getElementById("message");

  const checked = (card) => card.querySelector("input[type=radio]:checked");
  const firstUnscored = () => cards.findIndex((card) => !checked(card));

  function refresh() {
    cards.forEach((card) => card.classList.toggle("scored", Boolean(checked(card))));
    const missing = firstUnscored();
    button.disabled = missing !== -1;
    if (missing === -1) message.textContent = "";
  }

  function focusCard(index) {
    const clamped = Math.max(0, Math.min(cards.length - 1, index));
    cards[clamped].focus();
  }

  function submit() {
    const missing = firstUnscored();
    if (missing !== -1) {
      message.textContent = "Score every picture first.";
      focusCard(missing);
      return;
    }
    button.disabled = true;
    form.submit();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const card = document.activeElement && document.activeElement.closest(".card");
    const index = card ? cards.indexOf(card) : -1;
    if (/^[0-3]$/.test(event.key) && index !== -1) {
      event.preventDefault();
      const input = card.querySelector(`input[value="${event.key}"]`);
      input.checked = true;
      refresh();
      if (index < cards.length - 1) focusCard(index + 1);
      else if (firstUnscored() === -1) button.focus();
      else focusCard(firstUnscored());
    } else if ((event.key === "ArrowRight" || event.key === "ArrowDown") && index !== -1) {
      event.preventDefault();
      focusCard(index + 1);
    } else if ((event.key === "ArrowLeft" || event.key === "ArrowUp") && index !== -1) {
      event.preventDefault();
      focusCard(index - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      submit();
    }
  });

  form.addEventListener("change", refresh);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  // Clicking a score keeps the keyboard focus on that picture.
  cards.forEach((card) => card.addEventListener("click", () => card.focus()));

  refresh();
  const start = firstUnscored();
  focusCard(start === -1 ? 0 : start);
})();
