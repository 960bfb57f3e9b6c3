// VoiceDock dashboard: small enhancements only; every page works without script.
"use strict";
(function () {
  // Show times in the reader's own time zone as a tooltip (the page text stays UTC).
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) { el.title = when.toLocaleString(); }
  });
  // The live page follows its calls: new transcript lines arrive as server-sent events; when a call
  // starts or ends the page reloads, so its forms match the calls in progress.
  var status = document.querySelector("[data-live-events]");
  if (status && window.EventSource) {
    var source = new EventSource(status.getAttribute("data-live-events"));
    source.addEventListener("calls", function (event) {
      var data = JSON.parse(event.data);
      var shown = Array.prototype.map.call(document.querySelectorAll("[data-call-id]"),
        function (el) { return el.getAttribute("data-call-id"); });
      if (shown.join(" ") !== data.ids.join(" ")) { source.close(); window.location.reload(); return; }
      data.ids.forEach(function (id) {
        var box = document.getElementById("transcript-" + id);
        if (box && box.innerHTML !== data.transcripts[id]) { box.innerHTML = data.transcripts[id]; }
      });
    });
  }
})();
