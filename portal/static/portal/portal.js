/* Small enhancements that every page shares; the pages work without them. */
(function () {
  "use strict";
  // After a failed submission, move focus to the list of errors so keyboard and screen-reader users land on it.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
