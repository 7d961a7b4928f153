// trace_ops HTML report: expand/collapse, filter, and open the event a link points to.
// The page reads fine without it: every event is a native <details>.
(function () {
  "use strict";
  var events = function () { return Array.prototype.slice.call(document.querySelectorAll("details.event")); };

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") {
      var row = target.closest(".arow");  // shown even when a filter had hidden it
      (row || target).classList.remove("hidden");
      target.open = true;
      target.scrollIntoView({ block: "start" });
    }
  }

  function setAll(open) {
    events().forEach(function (e) { if (!e.classList.contains("hidden")) { e.open = open; } });
  }

  function applyFilter() {
    var box = document.getElementById("filter");
    var errorsOnly = document.getElementById("errors-only");
    var query = box ? box.value.trim().toLowerCase() : "";
    var onlyErrors = errorsOnly ? errorsOnly.checked : false;
    var shown = 0;
    var all = document.querySelectorAll("#events details.event");
    Array.prototype.forEach.call(all, function (e) {
      var keep = (!onlyErrors || e.classList.contains("err")) &&
        (!query || e.textContent.toLowerCase().indexOf(query) !== -1);
      e.classList.toggle("hidden", !keep);
      if (keep) { shown += 1; }
    });
    var count = document.getElementById("shown");
    if (count) { count.textContent = shown + " of " + all.length + " shown"; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-do]") : null;
    if (!button) { return; }
    if (button.getAttribute("data-do") === "expand") { setAll(true); }
    if (button.getAttribute("data-do") === "collapse") { setAll(false); }
  });
  var box = document.getElementById("filter");
  if (box) { box.addEventListener("input", applyFilter); }
  var errorsOnly = document.getElementById("errors-only");
  if (errorsOnly) { errorsOnly.addEventListener("change", applyFilter); }
  var changedOnly = document.getElementById("changed-only");
  if (changedOnly) {
    changedOnly.addEventListener("change", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".arow.op-same"), function (row) {
        row.classList.toggle("hidden", changedOnly.checked);
      });
    });
  }
  window.addEventListener("hashchange", openTarget);
  document.documentElement.classList.add("js");
  if (location.hash) { openTarget(); }
})();
