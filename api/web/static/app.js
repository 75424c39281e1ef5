// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
// At most three vacancies to compare: the fourth checkbox is refused with a message.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[name='v'][form='compare']")) return;
  var checked = document.querySelectorAll("input[name='v'][form='compare']:checked");
  if (checked.length > 3) { box.checked = false; box.setCustomValidity("Höchstens drei Stellen vergleichen."); box.reportValidity(); }
  else { box.setCustomValidity(""); }
});
