// The aiospaces emulator dashboard: new rows of the request log arrive as server-sent events.
"use strict";
(function () {
  var table = document.getElementById("requests");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var keep = 500;  // rows shown at most; older ones leave the page (the log keeps its own)
  var query = table.dataset.live ? table.dataset.live + "&" : "";
  var url = "/_emulator/ui/requests/events?" + query + "after=" + table.dataset.after;
  var columns = ["id", "time", "method", "url", "vendor", "status", "duration",
                 "bytes_in", "bytes_out", "fault", "outcome"];
  var numeric = { duration: true, bytes_in: true, bytes_out: true };

  function row(record) {
    var tr = document.createElement("tr");
    tr.dataset.id = record.id;
    tr.className = "fresh";
    columns.forEach(function (name) {
      var td = document.createElement("td");
      td.textContent = String(record[name]);
      if (name === "url") { td.className = "path"; }
      if (name === "status") { td.className = "status s" + String(record.status).charAt(0); }
      if (numeric[name]) { td.className = "num"; }
      tr.appendChild(td);
    });
    return tr;
  }

  var source = new EventSource(url);
  source.addEventListener("open", function () { table.dataset.stream = "open"; });
  source.addEventListener("error", function () { table.dataset.stream = "reconnecting"; });
  window.addEventListener("pagehide", function () { source.close(); });
  source.addEventListener("request", function (event) {
    var record = JSON.parse(event.data);
    if (body.querySelector('tr[data-id="' + record.id + '"]')) { return; }
    body.insertBefore(row(record), body.firstChild);
    while (body.rows.length > keep) { body.deleteRow(body.rows.length - 1); }
  });
})();
