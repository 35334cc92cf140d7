// Label each cell of a wide table with its column's header, so that on a phone the stylesheet
// can stack the table one row at a time (see stylesheets/perfguide.css). Runs on every page load,
// including Material's instant loads; reads nothing but the page itself.
(function () {
  function stack() {
    document.querySelectorAll(".md-typeset table:not([data-stacked])").forEach(function (table) {
      var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (headers.length < 4) return;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (headers[i]) cell.setAttribute("data-label", headers[i]);
        });
      });
      table.setAttribute("data-stacked", "");
    });
    document.body.setAttribute("data-tables-stacked", "");
  }
  // The script loads at the end of the page, after its tables; Material's document$ also runs
  // it again after an instant page load.
  stack();
  if (typeof document$ !== "undefined") document$.subscribe(stack);
})();
