// The projects table: search by name or slug, sort by any column.
(function () {
  "use strict";
  const table = document.getElementById("projects");
  const rows = () => [...table.tBodies[0].rows];
  document.getElementById("search").addEventListener("input", (event) => {
    const needle = event.target.value.toLowerCase();
    for (const row of rows()) row.hidden = !row.dataset.name.toLowerCase().includes(needle);
  });
  table.tHead.querySelectorAll("th").forEach((th, column) => {
    th.addEventListener("click", () => {
      const ascending = th.dataset.order !== "asc";
      th.dataset.order = ascending ? "asc" : "desc";
      const value = (row) => row.cells[column].dataset.value;
      const numeric = th.hasAttribute("data-numeric");
      const sorted = rows().sort((a, b) => {
        const [x, y] = numeric ? [Number(value(a)), Number(value(b))] : [value(a), value(b)];
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      table.tBodies[0].append(...sorted);
    });
  });
})();
