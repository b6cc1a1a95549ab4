/* caredesk: keyboard shortcuts of the Customer Care queue (documented on the page).
 *   j / k   select the next / previous case row (the row's link takes the focus)
 *   Enter   open the selected case (the focused link does it)
 *   x       tick or untick the selected case for bulk assignment
 *   a       assign the selected case to me (posts the hidden #assign-me form)
 *   /       focus the first filter
 * Keys are ignored while typing in a field or with a modifier held.
 */
(function () {
  "use strict";

  var current = -1;

  function rows() { return document.querySelectorAll("#queue tr.case-row"); }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }

  function select(index) {
    var list = rows();
    if (!list.length) { return; }
    index = Math.max(0, Math.min(index, list.length - 1));
    for (var i = 0; i < list.length; i++) {
      list[i].classList.remove("selected");
      list[i].removeAttribute("aria-selected");
    }
    var row = list[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("a.case-link");
    if (link) { link.focus(); }
    current = index;
  }

  function selectedRow() {
    var list = rows();
    if (current < 0 || current >= list.length) { return null; }
    return list[current];
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var row;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "x":
        row = selectedRow();
        if (row) { var box = row.querySelector("input[type=checkbox]"); if (box) { box.checked = !box.checked; } }
        break;
      case "a":
        row = selectedRow();
        var form = document.getElementById("assign-me");
        var field = document.getElementById("assign-me-case");
        if (row && form && field) { field.value = row.getAttribute("data-case-id"); form.submit(); }
        break;
      case "/":
        var first = document.querySelector("#queue-filters input, #queue-filters select");
        if (first) { first.focus(); }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // A filtered queue is a new list: start again from the top.
  document.addEventListener("htmx:afterSettle", function () { current = -1; });
})();
