// VoiceDock dashboard: small enhancements only; every page works without script.
"use strict";
(function () {
  // Show times in the reader's own time zone as a tooltip (the page text stays UTC).
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) { el.title = when.toLocaleString(); }
  });
})();
