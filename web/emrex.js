// The EMREX answer page: sends its form on at once (its button does where scripts are off).
"use strict";
(function () {
  var form = document.getElementById("emrex-post");
  if (form) form.submit();
})();
