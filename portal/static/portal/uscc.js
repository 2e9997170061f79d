/* Checks a unified social credit code (GB 32100-2015) while it is typed, the same way the server does
   (python-stdnum's stdnum.cn.uscc): 18 characters, the first 8 digits, the rest from the code alphabet,
   and the last one the check digit of the first 17 (weights 3^i mod 31). The server checks again. */
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

  function compact(value) {
    return value.replace(/[\s-]/g, "").toUpperCase();
  }

  function checkDigit(body) {
    var total = 0;
    for (var i = 0; i < 17; i++) total += ALPHABET.indexOf(body.charAt(i)) * WEIGHTS[i];
    return ALPHABET.charAt((31 - (total % 31)) % 31);
  }

  /* "ok", "length", "chars" or "bad". */
  function verdict(value) {
    var code = compact(value);
    if (code.length !== 18) return "length";
    if (!/^[0-9]{8}$/.test(code.slice(0, 8))) return "chars";
    for (var i = 8; i < 18; i++) if (ALPHABET.indexOf(code.charAt(i)) < 0) return "chars";
    return code.charAt(17) === checkDigit(code) ? "ok" : "bad";
  }

  window.usccVerdict = verdict;

  var input = document.querySelector("input[data-uscc]");
  var status = document.getElementById("uscc-status");
  if (!input || !status) return;
  input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " uscc-status").trim());

  function show() {
    var code = compact(input.value);
    if (!code) { status.textContent = ""; status.className = "live"; return; }
    var result = verdict(code);
    // Say "too short" only once they have stopped short of 18, not at every keystroke.
    if (result === "length" && code.length < 18 && document.activeElement === input) {
      status.textContent = ""; status.className = "live"; return;
    }
    status.textContent = status.getAttribute("data-" + result);
    status.className = "live " + (result === "ok" ? "good" : "error");
    if (result === "ok") input.removeAttribute("aria-invalid"); else input.setAttribute("aria-invalid", "true");
  }

  input.addEventListener("input", show);
  input.addEventListener("blur", show);
  if (input.value) show();
})();
