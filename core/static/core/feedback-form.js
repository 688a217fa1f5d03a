/* The reviewer form's enhancements, served as a file so the site's CSP (script-src 'self') allows it.
   The form works without it: the server counts answers, validates, and saves drafts.
   - moves focus to the error summary after a failed submit (so screen readers announce it);
   - keeps the "N of M answered" count current;
   - autosaves answers in this browser (localStorage, keyed by a hash of the link, never the link itself) and
     restores them into fields the server left empty; the copy is removed on submit. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // The thank-you page: the answers were submitted, so the browser copy of the draft is no longer needed.
  var doneKey = sessionStorage && sessionStorage.getItem("peacecert-submitted-draft");
  if (doneKey && !document.getElementById("feedback-form")) {
    try { localStorage.removeItem(doneKey); sessionStorage.removeItem("peacecert-submitted-draft"); } catch (e) { /* storage off */ }
  }

  var form = document.getElementById("feedback-form");
  if (!form) { return; }
  var key = "peacecert-draft-" + (form.getAttribute("data-draft-key") || "");
  var answered = document.getElementById("progress-answered");
  var items = form.querySelectorAll("fieldset.item");

  function count() {
    var n = 0;
    for (var i = 0; i < items.length; i++) {
      if (items[i].querySelector("input[type=radio]:checked")) { n++; }
    }
    if (answered) { answered.textContent = String(n); }
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function snapshot() {
    var data = {};
    var fields = form.querySelectorAll("input[type=radio]:checked, textarea");
    for (var i = 0; i < fields.length; i++) { data[fields[i].name] = fields[i].value; }
    return data;
  }

  function restore(store) {
    var raw = store.getItem(key);
    if (!raw) { return; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    Object.keys(data).forEach(function (name) {
      var value = data[name];
      if (name.indexOf("score-") === 0) {
        var group = form.querySelectorAll("input[type=radio][name='" + name + "']");
        var anyChecked = false;
        for (var i = 0; i < group.length; i++) { if (group[i].checked) { anyChecked = true; } }
        if (anyChecked) { return; }
        for (var j = 0; j < group.length; j++) { if (group[j].value === value) { group[j].checked = true; } }
      } else if (name.indexOf("comment-") === 0) {
        var area = form.querySelector("textarea[name='" + name + "']");
        if (area && !area.value) { area.value = value; }
      }
    });
  }

  var store = storage();
  if (store && key !== "peacecert-draft-") {
    restore(store);
    var note = document.getElementById("autosave-note");
    if (note) { note.hidden = false; }
    var save = function () {
      try { store.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* full or blocked: the server draft remains */ }
    };
    form.addEventListener("change", save);
    form.addEventListener("input", save);
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value === "submit") {
        try { sessionStorage.setItem("peacecert-submitted-draft", key); } catch (e) { /* storage off */ }
      }
    });
  }
  form.addEventListener("change", count);
  count();
}());
